#!/usr/bin/env bash
# Draws the app icon: a QR code's three finder squares with a location pin in the fourth corner,
# on the green of a passing health code. Needs ImageMagick (apt: imagemagick).
set -euo pipefail
cd "$(dirname "$0")"
IM=/usr/bin/convert
finder() { # x y: a 150 px finder pattern at (x, y)
  local x=$1 y=$2
  echo "fill #10251c rectangle $x,$y $((x+150)),$((y+150)) fill white rectangle $((x+22)),$((y+22)) $((x+128)),$((y+128)) fill #10251c rectangle $((x+44)),$((y+44)) $((x+106)),$((y+106))"
}
$IM -size 512x512 xc:none \
  -fill '#0a8f55' -draw "roundrectangle 8,8 503,503 96,96" \
  -fill white -draw "roundrectangle 56,56 455,455 40,40" \
  -draw "$(finder 86 86)" -draw "$(finder 276 86)" -draw "$(finder 86 276)" \
  -fill '#10251c' -draw "rectangle 245,96 267,118 rectangle 245,140 267,162 rectangle 245,206 267,228 rectangle 96,245 118,267 rectangle 162,245 184,267 rectangle 206,245 228,267 rectangle 245,245 267,267 rectangle 289,245 311,267" \
  -fill '#d7261e' -draw "circle 351,330 351,270" -draw "polygon 299,360 403,360 351,440" \
  -fill white -draw "circle 351,330 351,304" \
  icon.png
$IM icon.png -resize 32x32 32x32.png
$IM icon.png -resize 128x128 128x128.png
$IM icon.png -resize 256x256 128x128@2x.png
