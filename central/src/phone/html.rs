//! Server-rendered pages for phones: small (no framework, no external files), large type, one
//! inline style and one tiny script, both allowed by the response's CSP nonce. Everything
//! interpolated goes through `esc`.

use super::text as t;
use placecode::decision::Colour;
use std::fmt::Write;

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font:20px/1.5 -apple-system,'PingFang SC','Noto Sans CJK SC',\
'Microsoft YaHei',sans-serif;color:#111;background:#f4f5f7}main{max-width:560px;margin:0 auto;padding:16px}\
h1{font-size:26px;margin:8px 0}h2{font-size:22px;margin:4px 0 12px;color:#333}.venue{font-size:22px;font-weight:700}\
label{display:block;margin:14px 0 4px;font-weight:600}input[type=text],input[type=tel],select{width:100%;font-size:22px;\
padding:12px;border:2px solid #999;border-radius:8px;background:#fff}input.bad,fieldset.bad{border-color:#c00}\
.err{color:#c00;font-size:18px;margin:4px 0}fieldset{border:2px solid #ccc;border-radius:8px;margin:14px 0;padding:8px 12px}\
legend{font-weight:600;padding:0 4px}.yn label{display:inline-block;margin:4px 24px 4px 0;font-weight:400}\
input[type=radio],input[type=checkbox]{width:26px;height:26px;vertical-align:middle}\
button{width:100%;font-size:24px;padding:16px;margin:20px 0 8px;border:0;border-radius:10px;background:#0a7c3e;color:#fff}\
.banner{background:#fde8e8;border:2px solid #c00;border-radius:8px;padding:10px 12px;margin:12px 0}\
.note{color:#555;font-size:17px}a{color:#0645ad}.card{background:#fff;border-radius:10px;padding:12px 16px;margin:10px 0}\
.result{min-height:100vh;color:#fff;text-align:center;padding:24px 16px}.green{background:#0a8f45}.yellow{background:#e0a800;color:#111}\
.red{background:#c40d0d}.big{font-size:64px;font-weight:800;margin:8px 0}.say{font-size:24px;font-weight:700}\
.who{background:rgba(255,255,255,.18);border-radius:10px;padding:10px;margin:10px 0;font-size:22px}\
.clock{font-size:30px;font-variant-numeric:tabular-nums;font-weight:700;margin:12px 0 4px}\
.track{height:14px;background:rgba(255,255,255,.3);border-radius:7px;overflow:hidden;margin:14px 0}\
.dot{width:30%;height:100%;background:#fff;border-radius:7px;animation:run 1.6s linear infinite}\
@keyframes run{0%{transform:translateX(-100%)}100%{transform:translateX(340%)}}\
.result a{color:inherit}.live{font-size:17px}ul.list{padding:0;list-style:none}";

const CLOCK: &str = "(function(){var e=document.getElementById('clock');function p(n){return(n<10?'0':'')+n}\
function f(){var d=new Date(Date.now()+8*3600000);e.textContent=d.getUTCFullYear()+'-'+p(d.getUTCMonth()+1)+'-'+\
p(d.getUTCDate())+' '+p(d.getUTCHours())+':'+p(d.getUTCMinutes())+':'+p(d.getUTCSeconds())}f();setInterval(f,1000)})();";

/// A whole page. `nonce` is the response's CSP nonce; `script` adds the live clock.
pub fn page(nonce: &str, title: &str, body_class: &str, body: &str, script: bool) -> String {
    let mut s = String::with_capacity(STYLE.len() + body.len() + 600);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"format-detection\" content=\"telephone=no\">\
<title>{}</title><style nonce=\"{nonce}\">{STYLE}</style></head><body class=\"{body_class}\">{body}",
        t::LANG,
        esc(title)
    );
    if script {
        let _ = write!(s, "<script nonce=\"{nonce}\">{CLOCK}</script>");
    }
    s.push_str("</body></html>");
    s
}

pub fn message(nonce: &str, title: &str, text: &str) -> String {
    page(nonce, title, "", &format!("<main><h1>{}</h1><p>{}</p></main>", esc(title), esc(text)), false)
}

/// Values and errors of a form being shown again.
#[derive(Default)]
pub struct Form<'a> {
    pub values: &'a [(String, String)],
    pub errors: &'a [placecode::FieldError],
}

impl Form<'_> {
    fn value(&self, key: &str) -> &str {
        self.values.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
    fn error(&self, key: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == key).map(|e| e.message.as_str())
    }
    fn banner(&self, out: &mut String) {
        if self.errors.is_empty() {
            return;
        }
        let _ = write!(out, "<div class=\"banner\" role=\"alert\" id=\"errors\"><b>{}</b>", t::FIX_ERRORS);
        for e in self.errors {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&e.message));
        }
        out.push_str("</div>");
    }
    fn text(&self, out: &mut String, key: &str, label: &str, kind: &str, extra: &str) {
        let bad = self.error(key);
        let _ = write!(
            out,
            "<label for=\"{key}\">{}</label><input type=\"{kind}\" id=\"{key}\" name=\"{key}\" value=\"{}\" {extra}{}>",
            esc(label),
            esc(self.value(key)),
            if bad.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" }
        );
        if let Some(m) = bad {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(m));
        }
    }
    fn yes_no(&self, out: &mut String, key: &str, label: &str, default_yes: bool) {
        let v = self.value(key);
        let yes = if v.is_empty() { default_yes } else { v == "yes" };
        let _ = write!(
            out,
            "<fieldset class=\"yn\"><legend>{}</legend><label><input type=\"radio\" name=\"{key}\" value=\"yes\"{}> {}</label>\
<label><input type=\"radio\" name=\"{key}\" value=\"no\"{}> {}</label></fieldset>",
            esc(label),
            if yes { " checked" } else { "" },
            t::YES,
            if yes { "" } else { " checked" },
            t::NO
        );
    }
}

fn head(out: &mut String, venue: &str, kind_label: &str) {
    let _ = write!(out, "<main><div class=\"venue\">{}</div><h2>{}</h2>", esc(venue), esc(kind_label));
}

fn form_open(out: &mut String, action: &str, csrf: &str, what: &str) {
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{}\" autocomplete=\"on\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<input type=\"hidden\" name=\"action\" value=\"{what}\">",
        esc(action),
        esc(csrf)
    );
}

/// The 场所码 declaration (R5) for a general venue.
pub fn declaration(nonce: &str, venue: &str, action: &str, csrf: &str, f: &Form) -> String {
    let mut b = String::with_capacity(4096);
    head(&mut b, venue, placecode::venue::CodeKind::General.label());
    let _ = write!(b, "<p class=\"note\">{}</p>", t::FIRST_VISIT);
    f.banner(&mut b);
    form_open(&mut b, action, csrf, "declare");
    f.text(&mut b, "name", t::NAME, "text", "autocomplete=\"name\" maxlength=\"60\" required");
    f.text(&mut b, "id_number", t::ID_NUMBER, "text", "maxlength=\"18\" autocapitalize=\"characters\" required");
    f.text(&mut b, "address", t::ADDRESS, "text", "maxlength=\"120\" required");
    f.text(&mut b, "phone", t::PHONE_OPTIONAL, "tel", "autocomplete=\"tel\" maxlength=\"13\"");
    f.yes_no(&mut b, "visited_risk_area", t::VISITED_RISK_AREA, false);
    f.yes_no(&mut b, "contact_with_suspected", t::CONTACT, false);
    f.yes_no(&mut b, "temperature_normal", t::TEMPERATURE_NORMAL, true);
    f.text(&mut b, "temperature", t::TEMPERATURE, "text", "inputmode=\"decimal\" maxlength=\"5\"");
    let _ = write!(b, "<button type=\"submit\">{}</button></form></main>", t::SUBMIT);
    page(nonce, t::TITLE, "", &b, false)
}

/// The 专属场所码 declaration (R5, R9) for a truck crew member.
pub fn truck_declaration(nonce: &str, venue: &str, kind_label: &str, action: &str, csrf: &str, f: &Form) -> String {
    use placecode::identity::DocumentKind as D;
    let mut b = String::with_capacity(5000);
    head(&mut b, venue, kind_label);
    let _ = write!(b, "<p class=\"note\">{}</p>", t::TRUCK_INTRO);
    f.banner(&mut b);
    form_open(&mut b, action, csrf, "declare");
    f.text(&mut b, "name", t::NAME, "text", "autocomplete=\"name\" maxlength=\"60\" required");
    let chosen = f.value("document_kind");
    let _ = write!(
        b,
        "<label for=\"document_kind\">{}</label><select id=\"document_kind\" name=\"document_kind\">",
        t::DOCUMENT_KIND
    );
    for (k, d) in [
        ("resident_id", D::ResidentId),
        ("passport", D::Passport),
        ("hk_macao_permit", D::HkMacaoPermit),
        ("taiwan_permit", D::TaiwanPermit),
    ] {
        let _ = write!(b, "<option value=\"{k}\"{}>{}</option>", if chosen == k { " selected" } else { "" }, d.label());
    }
    b.push_str("</select>");
    f.text(
        &mut b,
        "document_number",
        t::DOCUMENT_NUMBER,
        "text",
        "maxlength=\"20\" autocapitalize=\"characters\" required",
    );
    f.text(&mut b, "plate", t::PLATE, "text", "maxlength=\"10\" autocapitalize=\"characters\" required");
    f.text(&mut b, "phone", t::PHONE, "tel", "autocomplete=\"tel\" maxlength=\"13\" required");
    f.text(&mut b, "origin", t::ORIGIN, "text", "maxlength=\"40\" required");
    f.text(&mut b, "entry_point", t::ENTRY_POINT, "text", "maxlength=\"40\" required");
    f.text(&mut b, "expected_return", t::EXPECTED_RETURN, "text", "placeholder=\"2026-12-01 08:30\" maxlength=\"16\"");
    f.text(
        &mut b,
        "expected_departure",
        t::EXPECTED_DEPARTURE,
        "text",
        "placeholder=\"2026-12-01 08:30\" maxlength=\"16\"",
    );
    f.yes_no(&mut b, "symptoms", t::SYMPTOMS, false);
    f.yes_no(&mut b, "visited_risk_area", t::RISK_AREA_TRUCK, false);
    let _ = write!(b, "<button type=\"submit\">{}</button></form></main>", t::SUBMIT);
    page(nonce, t::TITLE, "", &b, false)
}

/// A returning phone: four digits, and the other people this phone holds as companions.
pub fn returning(
    nonce: &str,
    venue: &str,
    action: &str,
    csrf: &str,
    people: &[(i64, String)],
    error: Option<&str>,
    last4: &str,
) -> String {
    let mut b = String::with_capacity(3000);
    head(&mut b, venue, t::WELCOME_BACK);
    if let Some(e) = error {
        let _ =
            write!(b, "<div class=\"banner\" role=\"alert\" id=\"errors\"><div class=\"err\">{}</div></div>", esc(e));
    }
    form_open(&mut b, action, csrf, "last4");
    let _ = write!(
        b,
        "<label for=\"last4\">{}</label><input type=\"tel\" id=\"last4\" name=\"last4\" value=\"{}\" maxlength=\"4\" \
autocomplete=\"off\" autofocus required{}><p class=\"note\">{}</p>",
        t::LAST4,
        esc(last4),
        if error.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" },
        t::LAST4_HINT
    );
    if people.len() > 1 {
        let _ = write!(b, "<fieldset><legend>{}</legend>", t::COMPANIONS);
        for (id, masked) in people {
            let _ = write!(b, "<label><input type=\"checkbox\" name=\"with\" value=\"{id}\"> {}</label>", esc(masked));
        }
        b.push_str("</fieldset>");
    }
    let _ = write!(
        b,
        "<button type=\"submit\">{}</button></form><p><a href=\"{}?new=1\">{}</a></p></main>",
        t::CHECK_IN,
        esc(action),
        t::ADD_PERSON
    );
    page(nonce, t::TITLE, "", &b, false)
}

/// One checked-in person on the result page.
pub struct Shown {
    pub colour: Colour,
    pub name_masked: String,
    pub id_masked: String,
    pub reasons: Vec<String>,
}

/// The result (R7): full-screen colour, venue, masked identity, a live clock and a moving bar.
pub fn result(nonce: &str, venue: &str, at_local: &str, people: &[Shown], back: &str) -> String {
    let worst = people.iter().map(|p| p.colour).max().unwrap_or(Colour::Green);
    let say = match worst {
        Colour::Green => t::GREEN_SAY,
        Colour::Yellow => t::YELLOW_SAY,
        Colour::Red => t::RED_SAY,
    };
    let mut b = String::with_capacity(2000);
    let _ = write!(
        b,
        "<div class=\"result {}\" id=\"result\" data-colour=\"{}\"><div class=\"venue\">{}</div><div class=\"big\">{}</div>\
<div class=\"say\">{}</div>",
        worst.key(),
        worst.key(),
        esc(venue),
        worst.label(),
        say
    );
    for p in people {
        let _ = write!(
            b,
            "<div class=\"who\" data-colour=\"{}\">{} {}<br>{}",
            p.colour.key(),
            esc(&p.name_masked),
            p.colour.label(),
            esc(&p.id_masked)
        );
        for r in &p.reasons {
            let _ = write!(b, "<div>{}</div>", esc(r));
        }
        b.push_str("</div>");
    }
    let _ = write!(
        b,
        "<div class=\"clock\" id=\"clock\"></div><div class=\"track\"><div class=\"dot\"></div></div><div>{}：{}</div>\
<p class=\"live\">{}</p><p><a href=\"{}\">{}</a></p></div>",
        t::CHECKED_IN_AT,
        esc(at_local),
        t::LIVE_HINT,
        esc(back),
        t::AGAIN
    );
    page(nonce, t::TITLE, "", &b, true)
}

/// The published list of checkpoint codes (R9).
pub fn checkpoints(nonce: &str, rows: &[(String, String, String)], base: &str) -> String {
    let mut b = String::with_capacity(2000);
    let _ = write!(b, "<main><h1>{}</h1><p class=\"note\">{}</p>", t::CHECKPOINTS_TITLE, t::CHECKPOINTS_INTRO);
    if rows.is_empty() {
        let _ = write!(b, "<p>{}</p>", t::CHECKPOINTS_NONE);
    }
    b.push_str("<ul class=\"list\">");
    for (name, label, code) in rows {
        let _ = write!(
            b,
            "<li class=\"card\"><a href=\"{}/c/{}\">{}</a><div class=\"note\">{}</div></li>",
            esc(base),
            esc(code),
            esc(name),
            esc(label)
        );
    }
    b.push_str("</ul></main>");
    page(nonce, t::CHECKPOINTS_TITLE, "", &b, false)
}
