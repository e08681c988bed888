// Tauri's bundler wants its configuration beside the desk's own Cargo.toml (src-tauri/), while
// the project keeps tauri.conf.json at the top. This writes src-tauri/tauri.conf.json for
// `make bundle`: the top-level file with its relative paths made relative to src-tauri/.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const conf = JSON.parse(readFileSync("tauri.conf.json", "utf8"));
const up = (p) => (p.startsWith("/") ? p : `../${p}`);
conf.build.frontendDist = up(conf.build.frontendDist);
conf.bundle.icon = conf.bundle.icon.map(up);
for (const kind of ["deb", "rpm"]) {
  const t = conf.bundle.linux?.[kind];
  if (t?.desktopTemplate) t.desktopTemplate = up(t.desktopTemplate);
  if (t?.postRemoveScript) t.postRemoveScript = up(t.postRemoveScript);
  for (const [to, from] of Object.entries(t?.files ?? {})) t.files[to] = up(from);
}
// The release key's public half (`make bundle UPDATE_PUBKEY=release.key.pub`): installed as
// /usr/lib/placecode-desk/update-key.pub, root's file, the only key the desk's 软件更新 trusts.
// Without it the package is built all the same, and its desks are updated by their IT office.
const pubkey = process.env.PLACECODE_UPDATE_PUBKEY;
if (pubkey) conf.bundle.resources[resolve(pubkey)] = "update-key.pub";
// Another version than tauri.conf.json's (the update test's next version).
if (process.env.PLACECODE_VERSION) conf.version = process.env.PLACECODE_VERSION;
writeFileSync("src-tauri/tauri.conf.json", JSON.stringify(conf, null, 2) + "\n");
