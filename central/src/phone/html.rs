//! Server-rendered pages for phones: small (no framework, no external files), large type, one
//! inline style and one tiny script, both allowed by the response's CSP nonce. Everything
//! interpolated goes through `esc`.

use super::text::{self as t, Lang, Texts};
use placecode_core::decision::Colour;
use placecode_core::venue::CodeKind;
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

// Sizes are in rem so that a phone's own text size (WeChat's 字体大小, a browser's text scale)
// enlarges the page; the result's colour word and clock are capped by the screen's width and
// pinned to the top, so they stay in view whatever the text size.
const STYLE: &str = "*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}\
body{margin:0;font:1.25rem/1.5 -apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#111;\
background:#f4f5f7}main{max-width:35rem;margin:0 auto;padding:1rem}\
a.lang{display:block;max-width:35rem;margin:0 auto;padding:.5rem 1rem 0;text-align:right;font-size:1rem;color:#1a5fb4}h1{font-size:1.6rem;margin:.5rem 0}\
h2{font-size:1.375rem;margin:.25rem 0 .75rem;color:#333}.venue{font-size:1.375rem;font-weight:700;overflow-wrap:anywhere}\
label{display:block;margin:.875rem 0 .25rem;font-weight:600}input[type=text],input[type=tel],input[type=datetime-local],\
select{width:100%;font-size:1.375rem;padding:.75rem;border:2px solid #999;border-radius:8px;background:#fff;color:#111}\
input.bad,fieldset.bad{border-color:#c00}.err{color:#c00;font-size:1.125rem;margin:.25rem 0}\
fieldset{border:2px solid #ccc;border-radius:8px;margin:.875rem 0;padding:.5rem .75rem}legend{font-weight:600;padding:0 .25rem}\
.yn label,.pick label{display:inline-block;margin:.25rem 1.5rem .25rem 0;font-weight:400}.pick label{display:block}\
input[type=radio],input[type=checkbox]{width:1.6rem;height:1.6rem;vertical-align:middle}\
.row{display:flex;gap:.5rem}.row input{flex:1;min-width:0}\
button{width:100%;font-size:1.5rem;padding:1rem;margin:1.25rem 0 .5rem;border:0;border-radius:10px;background:#0a7c3e;color:#fff}\
button:disabled{background:#7a9c88}button.xkey{width:auto;margin:0;padding:0 1.25rem;background:#e4e7eb;color:#111;\
border:2px solid #999;font-weight:700}.banner{background:#fde8e8;border:2px solid #c00;border-radius:8px;padding:.625rem .75rem;\
margin:.75rem 0}.note{color:#555;font-size:1.06rem}a{color:#0645ad}.card{background:#fff;border-radius:10px;\
padding:.75rem 1rem;margin:.625rem 0}.result{min-height:100vh;color:#fff;text-align:center;padding:0 1rem 1.5rem}\
.green{background:#0a8f45}.yellow{background:#e0a800;color:#111}.red{background:#c40d0d}\
.pin{position:sticky;top:0;z-index:1;background:inherit;padding:.5rem 0 .25rem}\
.big{font-size:min(3.5rem,15vw);font-weight:800;line-height:1.2;margin:0}.say{font-size:1.5rem;font-weight:700}\
.who{background:rgba(255,255,255,.18);border-radius:10px;padding:.625rem;margin:.625rem 0;font-size:1.375rem;overflow-wrap:anywhere}\
.clock{font-size:min(1.875rem,7vw);white-space:nowrap;font-variant-numeric:tabular-nums;font-weight:700;margin:.25rem 0}\
.track{height:.75rem;background:rgba(255,255,255,.3);border-radius:.375rem;overflow:hidden;margin:.375rem 0}\
.dot{width:30%;height:100%;background:#fff;border-radius:.375rem;animation:run 1.6s linear infinite}\
@keyframes run{0%{transform:translateX(-100%)}100%{transform:translateX(340%)}}\
.who-green{background:#0a8f45;color:#fff;border:3px solid #fff}.who-yellow{background:#ffd84d;color:#111;border:3px solid #111}\
.who-red{background:#8e0000;color:#fff;border:3px solid #fff}.badge{font-weight:800}a.tel{white-space:nowrap;font-weight:700}\
#id_number{font-size:min(1.375rem,5.2vw);font-variant-numeric:tabular-nums}.help{background:rgba(0,0,0,.18);border-radius:10px;padding:.75rem;margin:1rem 0;font-size:1.125rem;text-align:left}\
.result a{color:inherit}.qr{background:#fff;padding:.5rem;border-radius:8px;max-width:16rem;margin:.5rem auto}\
.qr svg{display:block;width:100%;height:auto}.live{font-size:1.06rem}ul.list{padding:0;list-style:none}.wait{background:#fff4e5;color:#6b3d00;border-radius:10px;padding:.75rem;font-weight:600;margin:.75rem 0}";

const CLOCK: &str = "(function(){var e=document.getElementById('clock'),r=document.getElementById('result'),\
x=r?Date.now()+Number(r.getAttribute('data-remaining')):0;function p(n){return(n<10?'0':'')+n}\
function f(){if(x&&Date.now()>x){location.reload();return}var d=new Date(Date.now()+8*3600000);e.textContent=d.getUTCFullYear()+'-'+p(d.getUTCMonth()+1)+'-'+\
p(d.getUTCDate())+' '+p(d.getUTCHours())+':'+p(d.getUTCMinutes())+':'+p(d.getUTCSeconds())}f();setInterval(f,1000)})();";

/// Forms: one tap sends once (the button turns 提交中 and stays disabled until the page is left);
/// an X key for number pads that have none. A form is sent in the background where the browser
/// can: when the door is busy (its answer carries `x-placecode-wait`, see `phone::BUSY_WAIT`) the
/// button counts down 排队中，N秒后自动重试… (with why just above it, `#wait-now`, from
/// `x-placecode-why` where the answer says: a full venue's count) and the phone sends the same form again by itself,
/// for up to two minutes; the form's one-time token makes each resend safe. A check-in goes to
/// its result page; any other answer (a field to correct, a limit reached) is the form sent the
/// usual way, so its page shows as the server made it. The form's address is read as an
/// attribute: `f.action` would be the form's field named `action`.
const FORM: &str = "(function(){var f=document.querySelector('form'),b=f&&f.querySelector('button[type=submit]'),sent=0;\
if(f)f.addEventListener('submit',function(e){if(sent){e.preventDefault();return}sent=1;b.disabled=true;\
b.textContent=b.getAttribute('data-busy');if(!window.fetch||!window.URLSearchParams||!window.FormData)return;\
e.preventDefault();var to=f.getAttribute('action')||location.pathname,body=new URLSearchParams(new FormData(f)).toString(),tries=0;\
function later(s){b.textContent=b.getAttribute('data-wait').replace('N',s);setTimeout(s>1?function(){later(s-1)}:go,1000)}\
function why(r){var y=r.headers.get('X-Placecode-Why');if(!y)return;var m=document.getElementById('wait-now');\
if(!m){m=document.createElement('p');m.id='wait-now';m.className='wait';m.setAttribute('role','status');b.parentNode.insertBefore(m,b)}\
try{m.textContent=decodeURIComponent(y)}catch(x){}}\
function go(){fetch(to,{method:'POST',body:body,credentials:'same-origin',headers:{'Content-Type':'application/x-www-form-urlencoded'}})\
.then(function(r){var w=parseInt(r.headers.get('X-Placecode-Wait'),10);if(w>0&&tries<24){tries++;why(r);later(Math.min(w,30));return}\
if(r.redirected&&r.ok){location.replace(r.url);return}f.submit()}).catch(function(){f.submit()})}go()});\
window.addEventListener('pageshow',function(){sent=0;if(b){b.disabled=false;\
b.textContent=b.getAttribute('data-label')}});document.querySelectorAll('button.xkey').forEach(function(k){\
k.addEventListener('click',function(){var i=document.getElementById(k.getAttribute('data-for'));\
var v=i.value.replace(/[xX\\s]/g,'');if(v.length>=i.maxLength)v=v.slice(0,i.maxLength-1);i.value=v+'X';i.focus()})});\
var l=document.getElementById('lang');if(l&&window.URLSearchParams){var q=new URLSearchParams(location.search);\
q.set('lang',l.getAttribute('hreflang'));l.setAttribute('href','?'+q.toString())}var dk=document.getElementById('document_kind'),dn=document.getElementById('id_number');if(dk&&dn){var kb=function(){\
dn.inputMode=/^(resident_id|hmt_residence_permit)$/.test(dk.value)?'numeric':'text'};dk.addEventListener('change',kb);kb()}})();";

/// A page's script: none, the result's live clock, or the forms' helper.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Script {
    None,
    Clock,
    Form,
}

/// A whole page. `nonce` is the response's CSP nonce.
pub fn page(t: &Texts, nonce: &str, title: &str, body_class: &str, body: &str, script: Script) -> String {
    let mut s = String::with_capacity(STYLE.len() + body.len() + 1200);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"format-detection\" content=\"telephone=no\">\
<title>{}</title><style nonce=\"{nonce}\">{STYLE}</style></head><body class=\"{body_class}\">",
        t.lang,
        esc(title)
    );
    // The other language, at the top of a form or a message, at the end of a result (whose top
    // is the colour and the live clock).
    let (key, name) = t.other_lang;
    let switch =
        format!("<a class=\"lang\" id=\"lang\" href=\"?lang={key}\" hreflang=\"{key}\" lang=\"{key}\">{name}</a>");
    if script == Script::Clock {
        s.push_str(body);
        s.push_str(&switch);
    } else {
        s.push_str(&switch);
        s.push_str(body);
    }
    let js = match script {
        Script::None => "",
        Script::Clock => CLOCK,
        Script::Form => FORM,
    };
    if !js.is_empty() {
        let _ = write!(s, "<script nonce=\"{nonce}\">{js}</script>");
    }
    s.push_str("</body></html>");
    s
}

pub fn message(t: &Texts, nonce: &str, title: &str, text: &str) -> String {
    page(t, nonce, title, "", &format!("<main><h1>{}</h1><p>{}</p></main>", esc(title), esc(text)), Script::None)
}

/// Values and errors of a form being shown again.
#[derive(Default)]
pub struct Form<'a> {
    pub values: &'a [(String, String)],
    pub errors: &'a [placecode_core::FieldError],
    pub lang: Lang,
}

impl Form<'_> {
    fn value(&self, key: &str) -> &str {
        self.values.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }
    /// A field's reason, in the page's language.
    fn error(&self, key: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == key).map(|e| self.lang.texts().reason(&e.message))
    }
    fn banner(&self, out: &mut String) {
        if self.errors.is_empty() {
            return;
        }
        let t = self.lang.texts();
        let _ = write!(out, "<div class=\"banner\" role=\"alert\" id=\"errors\"><b>{}</b>", t.fix_errors);
        for e in self.errors {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&t.reason(&e.message)));
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
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&m));
        }
    }
    /// A list to choose from, with nothing chosen until the person chooses.
    fn select(&self, out: &mut String, key: &str, label: &str, options: &[(String, String)]) {
        let t = self.lang.texts();
        let (v, bad) = (self.value(key), self.error(key));
        let _ = write!(
            out,
            "<label for=\"{key}\">{}</label><select id=\"{key}\" name=\"{key}\"{}><option value=\"\">{}</option>",
            esc(label),
            if bad.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" },
            t.choose
        );
        for (value, shown) in options {
            let chosen = if v == value { " selected" } else { "" };
            let _ = write!(out, "<option value=\"{}\"{chosen}>{}</option>", esc(value), esc(shown));
        }
        out.push_str("</select>");
        if let Some(m) = bad {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&m));
        }
    }

    /// A yes/no question with nothing chosen until the person chooses (R5: asked, not assumed).
    fn yes_no(&self, out: &mut String, key: &str, label: &str) {
        self.yes_no_as(out, key, label, false);
    }

    /// A yes/no question; `flipped`: asked the other way round from the field it answers (体温是否
    /// 异常 answers `temperature_normal`: 是 sends `no`), so that 否 is the good answer to every
    /// question.
    fn yes_no_as(&self, out: &mut String, key: &str, label: &str, flipped: bool) {
        let t = self.lang.texts();
        let v = self.value(key);
        let bad = self.error(key);
        let (yes, no) = if flipped { ("no", "yes") } else { ("yes", "no") };
        let _ = write!(
            out,
            "<fieldset class=\"yn{}\" id=\"q-{key}\"><legend>{}</legend><label><input type=\"radio\" name=\"{key}\" value=\"{yes}\"{}> {}</label>\
<label><input type=\"radio\" name=\"{key}\" value=\"{no}\"{}> {}</label>",
            if bad.is_some() { " bad" } else { "" },
            esc(label),
            if v == yes { " checked" } else { "" },
            t.yes,
            if v == no { " checked" } else { "" },
            t.no
        );
        if let Some(m) = bad {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&m));
        }
        out.push_str("</fieldset>");
    }

    /// 证件类型: every kind the core checks, a resident ID first; the choice kept on a redisplay,
    /// and the reason shown when a tampered form named another.
    fn document_kind(&self, out: &mut String) {
        let t = self.lang.texts();
        // Nothing chosen yet: a resident ID on a Chinese page, a passport on an English one
        // (the visitor who reads English most likely carries one).
        let chosen = match self.value("document_kind") {
            "" if self.lang == Lang::En => "passport",
            v => v,
        };
        let bad = self.error("document_kind");
        let _ = write!(
            out,
            "<label for=\"document_kind\">{}</label><select id=\"document_kind\" name=\"document_kind\"{}>",
            t.document_kind,
            if bad.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" },
        );
        for d in placecode_core::identity::DocumentKind::ALL {
            let k = d.key();
            let _ = write!(
                out,
                "<option value=\"{k}\"{}>{}</option>",
                if chosen == k { " selected" } else { "" },
                t.document_kind(d)
            );
        }
        out.push_str("</select>");
        if let Some(m) = bad {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&m));
        }
    }

    /// A text box with an X key beside it (ID numbers and their last four end in X for some people,
    /// and a phone's number pad has no X); the number pad unless `letters` (a document with
    /// letters, as a passport's last four may be).
    fn with_x(&self, out: &mut String, key: &str, label: &str, extra: &str, letters: bool) {
        let t = self.lang.texts();
        let bad = self.error(key);
        let _ = write!(
            out,
            "<label for=\"{key}\">{}</label><div class=\"row\"><input type=\"text\" inputmode=\"{}\" id=\"{key}\" \
name=\"{key}\" value=\"{}\" autocapitalize=\"characters\" autocomplete=\"off\" {extra}{}><button type=\"button\" class=\"xkey\" \
data-for=\"{key}\" aria-label=\"{}\">X</button></div>",
            esc(label),
            if letters { "text" } else { "numeric" },
            esc(self.value(key)),
            if bad.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" },
            t.x_key
        );
        if let Some(m) = bad {
            let _ = write!(out, "<div class=\"err\">{}</div>", esc(&m));
        }
    }
}

fn head(out: &mut String, venue: &str, kind_label: &str) {
    let _ = write!(out, "<main><div class=\"venue\">{}</div><h2>{}</h2>", esc(venue), esc(kind_label));
}

/// The hidden fields every form carries: where it posts, the phone's CSRF token and the form's
/// one-time token (a second send of the same form shows the first result).
pub struct Hidden<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub once: &'a str,
    /// The proof that the page was opened from a live 扫码屏 code (empty when not).
    pub present: &'a str,
    /// Said above the form (the venue is full now), or empty.
    pub notice: &'a str,
}

fn form_open(out: &mut String, h: &Hidden, what: &str) {
    if !h.notice.is_empty() {
        let _ = write!(out, "<p class=\"wait\" id=\"wait-why\" role=\"status\">{}</p>", esc(h.notice));
    }
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{}\" autocomplete=\"on\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<input type=\"hidden\" name=\"once\" value=\"{}\"><input type=\"hidden\" name=\"action\" value=\"{what}\">",
        esc(h.action),
        esc(h.csrf),
        esc(h.once)
    );
    if !h.present.is_empty() {
        let _ = write!(out, "<input type=\"hidden\" name=\"present\" value=\"{}\">", esc(h.present));
    }
}

fn submit_button(t: &Texts, out: &mut String, label: &str) {
    let _ = write!(
        out,
        "<button type=\"submit\" id=\"send\" data-label=\"{label}\" data-busy=\"{}\" data-wait=\"{}\">{label}</button></form>",
        t.sending,
        t.waiting
    );
}

/// The 场所码 declaration (R5) for a general venue; `for_other` when the phone already holds
/// people and this one is someone else (a heading says so, and the relation is asked).
pub fn declaration(nonce: &str, venue: &str, h: &Hidden, f: &Form, for_other: bool) -> String {
    let t = f.lang.texts();
    let mut b = String::with_capacity(5000);
    if for_other {
        head(&mut b, venue, t.for_other_title);
        let _ = write!(b, "<p class=\"note\">{}</p>", t.for_other_note);
    } else {
        head(&mut b, venue, t.code_kind(CodeKind::General));
        let _ = write!(b, "<p class=\"note\">{}</p>", t.first_visit);
    }
    f.banner(&mut b);
    form_open(&mut b, h, "declare");
    if for_other {
        b.push_str("<input type=\"hidden\" name=\"new\" value=\"1\">");
        let chosen = f.value("relation");
        let bad = f.error("relation");
        let _ = write!(
            b,
            "<label for=\"relation\">{}</label><select id=\"relation\" name=\"relation\"{}><option value=\"\">{}</option>",
            t.relation,
            if bad.is_some() { " class=\"bad\" aria-invalid=\"true\"" } else { "" },
            t.choose
        );
        for (r, shown) in t::RELATIONS.iter().zip(t.relations) {
            let _ = write!(b, "<option value=\"{r}\"{}>{shown}</option>", if chosen == *r { " selected" } else { "" });
        }
        b.push_str("</select>");
        if let Some(m) = bad {
            let _ = write!(b, "<div class=\"err\">{}</div>", esc(&m));
        }
    }
    f.text(&mut b, "name", t.name, "text", "autocomplete=\"name\" maxlength=\"80\" required");
    f.document_kind(&mut b);
    // The keyboard of the kind chosen (the form's script changes it with the choice).
    let letters = match f.value("document_kind") {
        "" => f.lang == Lang::En,
        k => !matches!(k, "resident_id" | "hmt_residence_permit"),
    };
    f.with_x(&mut b, "id_number", t.id_number, "maxlength=\"18\" required", letters);
    f.text(&mut b, "address", t.address, "text", "maxlength=\"120\" required");
    let _ = write!(b, "<p class=\"note\">{}</p>", t.address_hint);
    f.text(&mut b, "phone", t.phone_optional, "tel", "autocomplete=\"tel\" maxlength=\"13\"");
    f.yes_no(&mut b, "visited_risk_area", t.q_visited_risk_area);
    f.yes_no(&mut b, "contact_with_suspected", t.q_contact);
    f.yes_no_as(&mut b, "temperature_normal", t.q_temperature_abnormal, true);
    f.text(&mut b, "temperature", t.temperature, "text", "inputmode=\"decimal\" maxlength=\"5\"");
    submit_button(t, &mut b, t.submit);
    b.push_str("</main>");
    page(t, nonce, t.title, "", &b, Script::Form)
}

/// The 专属场所码 declaration (R5, R9) for a truck crew member.
/// A crew member's declaration. At a checkpoint it is a pre-declaration: `destinations` (the
/// registered destination venues, and 不在列表中 as "other") are asked, and `shared` says the
/// truck's details came from another member's declaration.
pub fn truck_declaration(
    nonce: &str,
    venue: &str,
    kind_label: &str,
    h: &Hidden,
    f: &Form,
    destinations: Option<&[(String, String)]>,
    shared: bool,
) -> String {
    let t = f.lang.texts();
    let mut b = String::with_capacity(5000);
    head(&mut b, venue, kind_label);
    let _ = write!(b, "<p class=\"note\">{}</p>", t.truck_intro);
    if shared {
        let _ = write!(b, "<p class=\"card\" id=\"shared\">{}</p>", t.shared_note);
    }
    f.banner(&mut b);
    form_open(&mut b, h, "declare");
    f.text(&mut b, "name", t.name, "text", "autocomplete=\"name\" maxlength=\"80\" required");
    f.document_kind(&mut b);
    f.text(
        &mut b,
        "document_number",
        t.document_number,
        "text",
        "maxlength=\"20\" autocapitalize=\"characters\" required",
    );
    f.text(&mut b, "plate", t.plate, "text", "maxlength=\"10\" autocapitalize=\"characters\" required");
    f.text(&mut b, "phone", t.phone, "tel", "autocomplete=\"tel\" maxlength=\"13\" required");
    f.text(&mut b, "origin", t.origin, "text", "maxlength=\"40\" required");
    f.text(&mut b, "entry_point", t.entry_point, "text", "maxlength=\"40\" required");
    if let Some(list) = destinations {
        let mut options = list.to_vec();
        options.push((OTHER_DESTINATION.to_owned(), t.destination_other.to_owned()));
        f.select(&mut b, "destination", t.destination, &options);
    }
    f.text(&mut b, "expected_return", t.expected_return, "datetime-local", "");
    f.text(&mut b, "expected_departure", t.expected_departure, "datetime-local", "");
    f.yes_no(&mut b, "symptoms", t.q_symptoms);
    f.yes_no(&mut b, "visited_risk_area", t.q_risk_area_truck);
    // At a checkpoint it is a pre-declaration, not a check-in.
    submit_button(t, &mut b, if destinations.is_some() { t.submit_predeclaration } else { t.submit });
    b.push_str("</main>");
    page(t, nonce, t.title, "", &b, Script::Form)
}

/// The destination choice of a crew who do not find theirs in the list.
pub const OTHER_DESTINATION: &str = "other";

/// The last four as typed on a returning phone's form.
pub struct Last4<'a> {
    pub typed: &'a str,
    /// Why it was refused, if it was.
    pub error: Option<&'a str>,
    /// The last four of someone on this phone has letters (a passport's): the keyboard with letters.
    pub letters: bool,
}

/// A returning phone: four digits, and every person this phone holds to tick.
pub fn returning(lang: Lang, nonce: &str, venue: &str, h: &Hidden, people: &[(usize, String)], l: &Last4) -> String {
    let (error, last4, letters) = (l.error, l.typed, l.letters);
    let t = lang.texts();
    let mut b = String::with_capacity(3000);
    head(&mut b, venue, t.welcome_back);
    if let Some(e) = error {
        let _ = write!(
            b,
            "<div class=\"banner\" role=\"alert\" id=\"errors\"><div class=\"err\">{}</div></div>",
            esc(&t.reason(e))
        );
    }
    form_open(&mut b, h, "last4");
    let values = [("last4".to_owned(), last4.to_owned())];
    let errors: Vec<placecode_core::FieldError> =
        error.map(|m| placecode_core::FieldError { field: "last4".into(), message: m.into() }).into_iter().collect();
    let f = Form { values: &values, errors: &errors, lang };
    f.with_x(&mut b, "last4", t.last4, "maxlength=\"4\"", letters);
    let _ = write!(b, "<p class=\"note\">{}</p>", if people.len() > 1 { t.last4_or_tick } else { t.last4_hint });
    if people.len() > 1 {
        let _ = write!(b, "<fieldset class=\"pick\"><legend>{}</legend>", t.who);
        for (id, label) in people {
            let _ = write!(b, "<label><input type=\"checkbox\" name=\"with\" value=\"{id}\"> {}</label>", esc(label));
        }
        b.push_str("</fieldset>");
    }
    submit_button(t, &mut b, t.check_in);
    let _ = write!(b, "<p><a href=\"{}?new=1\" id=\"add\">{}</a></p></main>", esc(h.action), t.add_person);
    page(t, nonce, t.title, "", &b, Script::Form)
}

/// One checked-in person on the result page (kept with the result, so a reload shows it again).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Shown {
    pub colour: Colour,
    pub name_masked: String,
    pub id_masked: String,
    /// Reasons from the person's own answers (never the risk list's).
    pub reasons: Vec<String>,
    /// A truck crew member's plate.
    #[serde(default)]
    pub plate: Option<String>,
    /// Who they are on this phone: birth year and relation (1942年生，父母).
    #[serde(default)]
    pub who: Option<String>,
    /// A pre-declaration's 同车人员申报 link: the checkpoint's form with this truck filled in.
    #[serde(default)]
    pub share: Option<String>,
    /// A pre-declaration's destination as chosen (its name, or 不在列表中).
    #[serde(default)]
    pub destination: Option<String>,
}

/// The venue as the result page names it.
pub struct ResultVenue<'a> {
    pub name: &'a str,
    pub kind: CodeKind,
    pub supervision_phone: Option<&'a str>,
    /// The form, for 返回.
    pub back: &'a str,
    /// Checked in with a live 扫码屏 code (到场核验).
    pub present: bool,
}

/// The result (R7): full-screen colour; the colour word, a live clock and a moving bar pinned to
/// the top (a screenshot shows a stale time and a frozen bar); then venue, people and help.
/// `remaining_ms`: how long the page still shows a colour (counted from when the phone loads it,
/// so a phone's wrong clock does not matter); a page left open reloads then and shows that it
/// has expired.
pub fn result(t: &Texts, nonce: &str, v: &ResultVenue, at_local: &str, remaining_ms: i64, people: &[Shown]) -> String {
    let worst = people.iter().map(|p| p.colour).max().unwrap_or(Colour::Green);
    let plate = people.iter().find_map(|p| p.plate.as_deref());
    // A checkpoint's pre-declaration is made before the truck arrives: what to do at the
    // checkpoint, never the in-venue wording (a driver on the highway cannot wait "here").
    let say = match (worst, v.kind, plate) {
        (Colour::Green, CodeKind::Checkpoint, Some(plate)) => format!("{}{}{}", t.predeclared, esc(plate), t.confirm),
        (Colour::Yellow, CodeKind::Checkpoint, Some(plate)) => t.predeclared_yellow.replace("{plate}", &esc(plate)),
        (Colour::Red, CodeKind::Checkpoint, Some(plate)) => t.predeclared_red.replace("{plate}", &esc(plate)),
        (Colour::Green, ..) => t.green_say.to_owned(),
        _ if people.iter().any(|p| p.colour == Colour::Green) => t.mixed_say.to_owned(),
        (Colour::Yellow, ..) => t.yellow_say.to_owned(),
        (Colour::Red, ..) => t.red_say.to_owned(),
    };
    let mut b = String::with_capacity(2500);
    let _ = write!(
        b,
        "<div class=\"result {}\" id=\"result\" data-colour=\"{}\" data-remaining=\"{remaining_ms}\"><div class=\"pin\" id=\"pin\"><div class=\"big\">{}</div>\
<div class=\"clock\" id=\"clock\"></div><div class=\"track\"><div class=\"dot\"></div></div></div>\
<div class=\"venue\">{}</div><div class=\"say\" id=\"say\">{say}</div>",
        worst.key(),
        worst.key(),
        t.colour(worst),
        esc(v.name),
    );
    for p in people {
        // Each person in their own colour, with who they are and whether they may enter, so a
        // family with mixed colours is told apart at a glance.
        let may = match (p.colour, v.kind) {
            (Colour::Green, CodeKind::Checkpoint) => t.confirm_at_checkpoint,
            (Colour::Green, _) => t.may_enter,
            (_, CodeKind::Checkpoint) => t.check_at_checkpoint,
            _ => t.may_not_enter,
        };
        let _ = write!(
            b,
            "<div class=\"who who-{}\" data-colour=\"{}\"><span class=\"badge\">{} · {may}</span><br>{} {}<br>{}",
            p.colour.key(),
            p.colour.key(),
            t.colour(p.colour),
            esc(&p.name_masked),
            esc(&p.who.as_deref().map(|w| t.translated_who(w)).unwrap_or_default()),
            esc(&p.id_masked)
        );
        if let Some(plate) = &p.plate {
            let _ = write!(b, "<div>{}{}{}</div>", t.plate, t.colon, esc(plate));
        }
        for r in &p.reasons {
            let _ = write!(b, "<div>{}</div>", esc(&t.reason(r)));
        }
        b.push_str("</div>");
    }
    let predeclared = v.kind == CodeKind::Checkpoint && plate.is_some();
    let when = if predeclared { t.declared_at } else { t.checked_in_at };
    let _ = write!(b, "<div>{when}{}{}</div><p class=\"live\">{}</p>", t.colon, esc(at_local), t.live_hint);
    if v.present {
        let _ = write!(b, "<div id=\"present\" class=\"present\">✓ {}</div>", t.present_mark);
    }
    if predeclared {
        if let Some(d) = people.iter().find_map(|p| p.destination.as_deref()) {
            let _ = write!(b, "<div id=\"destination\">{}{}{}</div>", t.destination, t.colon, esc(d));
        }
        let _ = write!(b, "<p class=\"help\" id=\"not-yet\">{}</p>", t.predeclared_note);
    }
    share_block(t, &mut b, people);
    if worst != Colour::Green {
        let phone = v
            .supervision_phone
            .map(|p| {
                format!("{}<a class=\"tel\" href=\"tel:{}\">{}</a>{}", t.supervision_phone, esc(p), esc(p), t.comma)
            })
            .unwrap_or_default();
        let if_wrong = if v.kind == CodeKind::Checkpoint { t.if_wrong_truck } else { t.if_wrong };
        let _ = write!(b, "<div class=\"help\" id=\"help\">{if_wrong}{phone}{}</div>", t.hotline);
    }
    let _ = write!(b, "<p><a href=\"{}\">{}</a></p></div>", esc(v.back), t.again);
    page(t, nonce, t.title, "", &b, Script::Clock)
}

/// A result reopened after its few minutes: no colour, only when it was and what to do.
/// 同车人员申报: the link and its QR, when the result has one.
fn share_block(t: &Texts, b: &mut String, people: &[Shown]) {
    if let Some(url) = people.iter().find_map(|p| p.share.as_deref()) {
        // Drawn by the core from the link itself; nothing in it comes from the page's input.
        let qr = placecode_core::qr::svg(url).unwrap_or_default();
        let _ = write!(
            b,
            "<div class=\"help share\" id=\"share\"><b>{}</b><p>{}</p><div class=\"qr\">{qr}</div><p><a href=\"{}\">{}</a></p></div>",
            t.share_title,
            t.share_hint,
            esc(url),
            t.share_link
        );
    }
}

/// A pre-declaration reopened after its live minutes: no colour to show at a door (the
/// checkpoint confirms by plate), but what to do, and the 同车人员申报 link for the rest of the
/// crew, for the day it is valid.
pub fn predeclared_later(t: &Texts, nonce: &str, venue: &str, at_local: &str, people: &[Shown], back: &str) -> String {
    let plate = people.iter().find_map(|p| p.plate.as_deref()).unwrap_or("");
    let mut b = format!(
        "<main id=\"predeclared\"><div class=\"venue\">{}</div><h1>{}{}{}</h1><p>{}{}{}</p>",
        esc(venue),
        t.predeclared,
        esc(plate),
        t.confirm,
        t.declared_at,
        t.colon,
        esc(at_local),
    );
    if let Some(d) = people.iter().find_map(|p| p.destination.as_deref()) {
        let _ = write!(b, "<p id=\"destination\">{}{}{}</p>", t.destination, t.colon, esc(d));
    }
    let _ = write!(b, "<p class=\"note\">{}</p>", t.predeclared_note);
    share_block(t, &mut b, people);
    let _ = write!(b, "<p><a href=\"{}\">{}</a></p></main>", esc(back), t.again);
    page(t, nonce, t.title, "", &b, Script::None)
}

pub fn expired(t: &Texts, nonce: &str, venue: &str, at_local: &str, back: &str) -> String {
    let b = format!(
        "<main id=\"expired\"><div class=\"venue\">{}</div><h1>{}</h1><p>{}{}{}</p><p>{}</p><p><a href=\"{}\">{}</a></p></main>",
        esc(venue),
        t.expired_title,
        t.checked_in_at,
        t.colon,
        esc(at_local),
        t.expired_body,
        esc(back),
        t.scan_again
    );
    page(t, nonce, t.title, "", &b, Script::None)
}

/// The published list of checkpoint codes (R9).
/// `rows`: the checkpoint's name, its district and address, and its code.
pub fn checkpoints(t: &Texts, nonce: &str, rows: &[(String, String, String)], base: &str) -> String {
    let mut b = String::with_capacity(2000);
    let _ = write!(b, "<main><h1>{}</h1><p class=\"note\">{}</p>", t.checkpoints_title, t.checkpoints_intro);
    if rows.is_empty() {
        let _ = write!(b, "<p>{}</p>", t.checkpoints_none);
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
    page(t, nonce, t.checkpoints_title, "", &b, Script::None)
}
