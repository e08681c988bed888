// Tauri's bundler wants its configuration beside the desk's own Cargo.toml (src-tauri/), while
// the project keeps tauri.conf.json at the top. This writes src-tauri/tauri.conf.json for
// `make bundle`: the top-level file with its relative paths made relative to src-tauri/.
import { readFileSync, writeFileSync } from "node:fs";

const conf = JSON.parse(readFileSync("tauri.conf.json", "utf8"));
const up = (p) => (p.startsWith("/") ? p : `../${p}`);
conf.build.frontendDist = up(conf.build.frontendDist);
conf.bundle.icon = conf.bundle.icon.map(up);
for (const kind of ["deb", "rpm"]) {
  const t = conf.bundle.linux?.[kind];
  if (t?.desktopTemplate) t.desktopTemplate = up(t.desktopTemplate);
  for (const [to, from] of Object.entries(t?.files ?? {})) t.files[to] = up(from);
}
writeFileSync("src-tauri/tauri.conf.json", JSON.stringify(conf, null, 2) + "\n");
