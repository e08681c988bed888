//! The phone check-in page over HTTP against a real PostgreSQL: first visit, four digits,
//! companions, red refusal, CSRF, rate limits, bad codes, checkpoint list, escaping.

mod common;

use common::*;
use placecode_central::ServeConfig;
use placecode_core::sync::ChangeKind;
use placecode_core::venue::CodeKind;
use sqlx::PgPool;

/// A server with one desk and a market's general code: the server, the desk, and the code's page.
async fn market(pool: &PgPool) -> (Server, DeskClient, String) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    (s, desk, url)
}

#[sqlx::test]
async fn first_visit_declares_then_four_digits_suffice(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));

    let first = phone.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let csp = first.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(first.headers()["cache-control"], "no-store");
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let html = first.text().await.unwrap();
    assert!(html.contains("鼓楼超市") && html.contains("证件号码") && html.contains("外国人永久居留身份证"));
    assert!(html.len() < 12_000, "page is {} bytes", html.len());
    let token = csrf(&html);

    // Bad fields: every one named, nothing saved.
    let mut bad = declaration(&token, "<script>alert(1)</script>", "41020219800101123");
    bad.retain(|(k, _)| *k != "address");
    let res = phone.post(&url).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("姓名：") && html.contains("身份证号：应为18位") && html.contains("住址：必填"), "{html}");
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;"));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 0);

    let id = resident_id(4242);
    let res = phone.post(&url).form(&declaration(&token, "王建国", &id)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-colour=\"green\"") && html.contains("绿码"), "{html}");
    assert!(html.contains("王**") && html.contains(&id[14..]) && !html.contains(&id));
    assert!(html.contains("id=\"clock\"") && html.contains("@keyframes"));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE source = 'phone' AND way_in = 'declaration'").await, 1);

    // Second scan: four digits only.
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("证件号后四位") && !html.contains("name=\"id_number\""), "{html}");
    let token = csrf(&html);
    let wrong = phone.post(&url).form(&token.last4("0000", &[])).send().await.unwrap();
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("本机没有登记过"));
    let ok = phone.post(&url).form(&token.last4(&id[14..], &[])).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("data-colour=\"green\""));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE way_in = 'last4'").await, 1);

    // The venue's desk pulls both phone check-ins.
    let pulled = desk.pull(0).await;
    assert_eq!(pulled.changes.iter().filter(|c| c.kind == ChangeKind::PhoneVisit).count(), 2);
}

/// A foreign permanent resident and a passport holder check in on their phones: each document by
/// its own rule, filed with its kind, and the return by the last four works for a passport's
/// letters. A kind the form never offers, and a number of another kind, are refused with the
/// reason; nothing is saved.
#[sqlx::test]
async fn every_document_kind_on_the_phone(pool: PgPool) {
    let (_s, desk, url) = market(&pool).await;
    let with_kind = |t: &Tokens, name: &str, kind: &str, number: &str| {
        let mut f = declaration(t, name, number);
        f.push(("document_kind", kind.into()));
        f
    };
    let refused = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 422);
        res.text().await.unwrap()
    };
    let phone = phone_client();
    let t = form(&phone, &url).await;
    let html = refused(
        phone.post(&url).form(&with_kind(&t, "Anna Müller", "<script>", "941840198506150017")).send().await.unwrap(),
    )
    .await;
    assert!(html.contains("证件类型：不在可选范围内") && !html.contains("<script>"), "{html}");
    let t = form(&phone, &url).await;
    let html = refused(
        phone.post(&url).form(&with_kind(&t, "王芳", "resident_id", "820000198512010026")).send().await.unwrap(),
    )
    .await;
    assert!(html.contains("身份证号：这是港澳台居民居住证的号码"), "{html}");
    let t = form(&phone, &url).await;
    let html = refused(
        phone
            .post(&url)
            .form(&with_kind(&t, "Anna Smith", "foreign_permanent_resident", "941840198506150018"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("永居证号码：校验位不对"), "{html}");
    // The choice is kept on the redisplay.
    assert!(html.contains("<option value=\"foreign_permanent_resident\" selected>"), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 0);

    let t = form(&phone, &url).await;
    let res = phone
        .post(&url)
        .form(&with_kind(&t, "Anna Smith", "foreign_permanent_resident", "941840198506150017"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("data-colour=\"green\""));

    let traveller = phone_client();
    let t = form(&traveller, &url).await;
    let res =
        traveller.post(&url).form(&with_kind(&t, "John O'Neil-Smith", "passport", "x1234567a")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // A passport's last four may have letters: the keyboard with letters, not the number pad.
    let html = traveller.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("inputmode=\"text\" id=\"last4\""), "{html}");
    let t = form(&traveller, &url).await;
    let back = traveller.post(&url).form(&t.last4("567a", &[])).send().await.unwrap();
    assert_eq!(back.status(), 200);
    assert!(back.text().await.unwrap().contains("data-colour=\"green\""));

    let kinds: Vec<(String,)> =
        sqlx::query_as("SELECT document_kind FROM people ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(kinds, [("foreign_permanent_resident".to_owned(),), ("passport".to_owned(),)]);
    let on_file: Vec<String> = people_on_file(&pool).await.into_iter().map(|p| p.document_number).collect();
    assert_eq!(on_file, ["941840198506150017", "X1234567A"]);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE way_in = 'last4'").await, 1);
    // The venue's desk is told each person's kind (it files them by it, and its own check-ins of
    // them go back to the centre under it).
    let pulled = desk.pull(0).await;
    let mut kinds: Vec<(String, String)> = pulled
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::PhoneVisit)
        .map(|c| {
            let p = &c.body["person"];
            (
                p["document_kind"].as_str().unwrap_or("").to_owned(),
                p["document_number"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            ("foreign_permanent_resident".to_owned(), "941840198506150017".to_owned()),
            ("passport".to_owned(), "X1234567A".to_owned()),
        ]
    );
}

/// A visitor whose phone speaks English (or German: English reads better than Chinese) gets
/// every page in English: the form, the reasons of a refused field, the result and its help;
/// the link to 中文 switches and the choice is kept. What is stored is the same as in Chinese.
#[sqlx::test]
async fn a_phone_in_english_reads_every_page_in_english(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(
            [(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static("de-DE,de;q=0.9,en;q=0.8"))]
                .into_iter()
                .collect(),
        )
        .build()
        .unwrap();
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("<html lang=\"en\">") && html.contains("First visit") && html.contains("Document type"),
        "{html}"
    );
    assert!(html.contains("Foreign permanent resident ID card") && html.contains("Have you been to an area"), "{html}");
    assert!(html.contains("href=\"?lang=zh\"") && html.contains(">中文</a>"));
    assert!(html.contains("<option value=\"passport\" selected>"), "a passport first for a reader of English: {html}");
    assert!(!html.contains("身份证") && !html.contains("提交"), "no Chinese left on the form: {html}");
    let token = csrf(&html);

    // Refused fields: the core's reasons, in English.
    let mut bad = declaration(&token, "", "941840198506150018");
    bad.push(("document_kind", "foreign_permanent_resident".into()));
    set(&mut bad, "contact_with_suspected", "");
    let res = phone.post(&url).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Name: required"), "{html}");
    assert!(html.contains("Permanent residence card number: the check character does not match"), "{html}");
    assert!(html.contains("please choose Yes or No"), "{html}");
    assert!(html.contains("<option value=\"foreign_permanent_resident\" selected>"), "{html}");

    let mut good = declaration(&token, "Anna Müller", "941840198506150017");
    good.push(("document_kind", "foreign_permanent_resident".into()));
    set(&mut good, "temperature", "37.9");
    let res = phone.post(&url).form(&good).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-colour=\"yellow\"") && html.contains(">Yellow<"), "{html}");
    assert!(html.contains("Do not enter") && html.contains("Temperature 37.9 ℃: a fever"), "{html}");
    assert!(html.contains("12345 government service hotline"), "{html}");
    assert!(html.contains("born 1985, Self"), "who, in English: {html}");
    let stored: (String,) = sqlx::query_as("SELECT document_kind FROM people").fetch_one(&pool).await.unwrap();
    assert_eq!(stored.0, "foreign_permanent_resident");

    // The link to 中文: the page and the next ones in Chinese, kept by a cookie.
    let res = phone.get(format!("{url}?lang=zh")).send().await.unwrap();
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("pc_lang=zh;") && c.contains("SameSite=Lax")), "{cookies:?}");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("证件号后四位"), "{html}");
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("欢迎再次登记"), "the choice is kept: {html}");
    // And back to English.
    let html = phone.get(format!("{url}?lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Welcome back") && html.contains("Last four characters"), "{html}");
    // A bad code, in English too.
    let html = phone.get(s_url(&url, "/c/NOTACODE")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Invalid venue code"), "{html}");
}

fn s_url(url: &str, path: &str) -> String {
    let base = url.split("/c/").next().unwrap_or("");
    format!("{base}{path}")
}

#[sqlx::test]
async fn a_parent_checks_in_a_child_too(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let token = form(&phone, &url).await;
    let parent = resident_id(1001);
    phone.post(&url).form(&declaration(&token, "王建国", &parent)).send().await.unwrap();
    // Another person on the same phone: a heading says for whom, and the relation is asked.
    let html = phone.get(format!("{url}?new=1")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"id_number\"") && html.contains("为他人登记") && html.contains("name=\"relation\""));
    let token = csrf(&html);
    let child = "410202201501010000";
    let child = format!("{}{}", &child[..17], {
        let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = child.bytes().take(17).zip(w).map(|(b, w)| u32::from(b - b'0') * w).sum();
        b"10X98765432"[(sum % 11) as usize] as char
    });
    let mut for_child = declaration(&token, "王小明", &child);
    for_child.push(("new", "1".into()));
    let res = phone.post(&url).form(&for_child).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("与本机机主的关系：请选择"));
    assert!(!people_on_file(&pool).await.iter().any(|p| p.name == "王小明"));
    for_child.push(("relation", "子女".into()));
    let res = phone.post(&url).form(&for_child).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    // Listed by masked name, birth year and relation; never the ID number.
    assert!(html.contains("王**（1981年生，本人）"), "{html}");
    assert!(html.contains("王**（2015年生，子女）"), "{html}");
    assert!(!html.contains(&child[..10]) && !html.contains(&parent[..10]), "{html}");
    let token = csrf(&html);
    // People are ticked by their place on the phone, never by a database id.
    assert!(html.contains("name=\"with\" value=\"2\"") && html.contains("name=\"with\" value=\"1\""), "{html}");
    let res = phone.post(&url).form(&token.last4(&parent[14..], &["2"])).send().await.unwrap();
    let html = res.text().await.unwrap();
    assert_eq!(html.matches("class=\"who ").count(), 2, "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE way_in = 'last4'").await, 2);
    // Another phone's place numbers mean its own people only.
    let stranger_phone = phone_client();
    let t2 = form(&stranger_phone, &url).await;
    let other = resident_id(2002);
    stranger_phone.post(&url).form(&declaration(&t2, "李四", &other)).send().await.unwrap();
    let t2 = form(&stranger_phone, &url).await;
    let res = stranger_phone.post(&url).form(&t2.last4(&other[14..], &["2"])).send().await.unwrap();
    assert_eq!(res.text().await.unwrap().matches("class=\"who ").count(), 1);
}

#[sqlx::test]
async fn a_red_person_is_refused_entry(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let red = resident_id(3003);
    placecode_central::risk::import(&pool, &s.keys, format!("{red},红,密切接触者\n").as_bytes(), false).await.unwrap();
    let phone = phone_client();
    let url = s.url(&format!("/C/{code}"));
    let token = form(&phone, &url).await;
    let html = phone.post(&url).form(&declaration(&token, "赵六", &red)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"red\"") && html.contains("禁止进入"), "{html}");
    // The phone never shows the risk list's reason; it says what to do if the colour seems wrong.
    assert!(!html.contains("密切接触者") && !html.contains("风险人员名单"), "{html}");
    assert!(html.contains("id=\"help\"") && html.contains("12345"), "{html}");
    // A yellow answer at the door.
    let phone = phone_client();
    let token = form(&phone, &url).await;
    let mut answers = declaration(&token, "钱七", &resident_id(3004));
    answers.retain(|(k, _)| *k != "visited_risk_area");
    answers.push(("visited_risk_area", "yes".into()));
    let html = phone.post(&url).form(&answers).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"yellow\"") && html.contains("申报到过疫情严重地区"), "{html}");
}

#[sqlx::test]
async fn forms_without_this_phones_token_are_refused(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let phone = phone_client();
    let token = form(&phone, &url).await;
    // No cookie (another site posting the form), or another phone's token.
    let res =
        reqwest::Client::new().post(&url).form(&declaration(&token, "王建国", &resident_id(1))).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let other = phone_client();
    other.get(&url).send().await.unwrap();
    let res = other.post(&url).form(&declaration(&token, "王建国", &resident_id(1))).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("页面已过期"));
    // A tampered cookie is a new phone.
    let res = reqwest::Client::new()
        .get(&url)
        .header("cookie", "pc_phone=00000000-0000-0000-0000-000000000000.00112233445566778899aabbccddeeff")
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("set-cookie"));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
}

#[sqlx::test]
async fn too_many_requests_from_one_address_slow_down(pool: PgPool) {
    let s = Server::start_with(pool.clone(), serve_config(5)).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(reqwest::get(&url).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
}

/// Two people on one phone share the last four digits: the four digits alone make the phone ask
/// whom it means; ticking one checks in that one only.
#[sqlx::test]
async fn shared_last_four_digits_on_one_phone_ask_whom(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let (a, b) = ("410204199003070017", "410204198501190017");
    phone.post(&url).form(&declaration(&form(&phone, &url).await, "张伟", a)).send().await.unwrap();
    let html = phone.get(format!("{url}?new=1")).send().await.unwrap().text().await.unwrap();
    let mut second = declaration(&csrf(&html), "李强", b);
    second.extend([("new", "1".into()), ("relation", "配偶".into())]);
    assert_eq!(phone.post(&url).form(&second).send().await.unwrap().status(), 200);
    let visits = || async { count(&pool, "SELECT count(*) FROM visits").await };
    assert_eq!(visits().await, 2);
    let returning = |with: Option<&'static str>| {
        let (phone, url) = (phone.clone(), url.clone());
        async move {
            let t = csrf(&phone.get(&url).send().await.unwrap().text().await.unwrap());
            let mut f = vec![("csrf", t.csrf), ("once", t.once), ("action", "last4".into()), ("last4", "0017".into())];
            if let Some(w) = with {
                f.push(("with", w.into()));
            }
            phone.post(&url).form(&f).send().await.unwrap()
        }
    };
    let res = returning(None).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("本机有不止一人是这四位"));
    assert_eq!(visits().await, 2, "nobody was checked in on a guess");
    let res = returning(Some("2")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("李*") && !html.contains("张*"), "{html}");
    assert_eq!(visits().await, 3);
}

/// A phone check-in leaves no name or ID number in clear anywhere in a dump (the person's
/// record and the change the venue's desks pull are both sealed); the desk pulls it readable.
#[sqlx::test]
async fn a_phone_check_in_leaves_nothing_in_clear_in_a_dump(pool: PgPool) {
    let (_s, desk, url) = market(&pool).await;
    let phone = phone_client();
    let id = resident_id(7007);
    let mut body = declaration(&form(&phone, &url).await, "欧阳𠮷祥", &id);
    // With a fever: the reason the page gives is health data, sealed with the visit.
    set(&mut body, "temperature_normal", "no");
    set(&mut body, "temperature", "38.6");
    let page = phone.post(&url).form(&body).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("达到发热标准"), "the phone is told why");
    let dump = pg_dump(&pool).await;
    for clear in [id.as_str(), "欧阳", "发热"] {
        let line = dump.lines().find(|l| l.contains(clear));
        assert!(line.is_none(), "{clear} in clear in the dump: {line:?}");
    }
    let pulled = desk.pull(0).await;
    let visit = pulled.changes.iter().find(|c| c.kind == ChangeKind::PhoneVisit).expect("the phone visit");
    assert_eq!(visit.body["person"]["name"], "欧阳𠮷祥");
    assert_eq!(visit.body["person"]["document_number"], id.as_str());
    assert_eq!(visit.body["reasons"][0], "体温38.6℃，达到发热标准");
}

/// Behind our own proxy, a client that writes its own X-Forwarded-For gets no fresh bucket: the
/// entry the proxy appended (the rightmost) is the one counted.
#[sqlx::test]
async fn a_forged_forwarded_for_gets_no_fresh_bucket(pool: PgPool) {
    let cfg = ServeConfig { trust_proxy: true, ..serve_config(3) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..5 {
        let forged = format!("10.9.9.{i}, 203.0.113.7");
        statuses.push(http.get(&url).header("x-forwarded-for", forged).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let other = http.get(&url).header("x-forwarded-for", "203.0.113.8").send().await.unwrap();
    assert_eq!(other.status(), 200, "another client has its own bucket");
}

/// A form far larger than the page sends is refused with the page's own Chinese message, not the
/// framework's English one.
#[sqlx::test]
async fn an_oversized_form_is_refused_in_chinese(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let big = format!("name={}", "a".repeat(1_000_000));
    let res =
        phone.post(&url).header("content-type", "application/x-www-form-urlencoded").body(big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let html = res.text().await.unwrap();
    assert!(html.contains("提交的内容过长") && !html.contains("length limit"), "{html}");
}

/// A client that sends its body a trickle at a time is cut off (408) when the request has taken
/// the configured time, instead of holding a connection for ever.
#[sqlx::test]
async fn a_slow_body_is_cut_off(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cfg = ServeConfig { request_timeout_secs: 1, ..serve_config(100) };
    let s = Server::start_with(pool.clone(), cfg).await;
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /c/x HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname="
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), conn.read(&mut answer)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[sqlx::test]
async fn bad_unknown_and_revoked_codes_get_a_clear_page(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    for path in ["/c/garbage", "/c/%27%20OR%201%3D1", "/nothing/here", "/c/"] {
        let res = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("无效的场所码") && !html.contains("error"), "{path}: {html}");
    }
    // A well-formed code of this desk's key that was never pushed.
    let unpushed = desk.key.sign(CodeKind::General, 999);
    assert!(reqwest::get(s.url(&format!("/c/{unpushed}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("未在中心登记"));
    let revoke =
        record(placecode_core::sync::RecordKind::CodeRevoked, serde_json::json!({"code": code, "reason": "海报损坏"}));
    desk.push(&[revoke]).await;
    let res = reqwest::get(s.url(&format!("/c/{code}"))).await.unwrap();
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("此码已停用"));
}

#[sqlx::test]
async fn checkpoint_codes_are_published_and_crews_declare_ahead(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("开封东收费站卡口", CodeKind::Checkpoint).await;
    let (park, _) = desk.venue_with_code("鼓楼物流园", CodeKind::Destination).await;
    let list = reqwest::get(s.url("/checkpoints")).await.unwrap().text().await.unwrap();
    assert!(list.contains("开封东收费站卡口") && list.contains(&code) && !list.contains("鼓楼物流园"), "{list}");
    // Named with where it is: a look-alike name shows its district and address.
    assert!(list.contains("鼓楼区 鼓楼区中山路100号"), "{list}");
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    // The crew is asked where the truck goes, among the registered destinations.
    assert!(html.contains("车牌号") && html.contains("入豫地") && html.contains("目的地场所"));
    assert!(html.contains("提交预申报") && !html.contains("提交并登记"), "a pre-declaration is not a check-in");
    assert!(html.contains(&format!("<option value=\"{park}\">鼓楼物流园</option>")), "{html}");
    let token = csrf(&html);
    let number = resident_id(5005);
    let park = park.to_string();
    let form = vec![
        ("csrf", token.csrf.as_str()),
        ("once", token.once.as_str()),
        ("action", "declare"),
        ("name", "孙师傅"),
        ("document_kind", "resident_id"),
        ("document_number", number.as_str()),
        ("plate", "豫b12345"),
        ("phone", "13837800009"),
        // A right-to-left override would show 州郑: dropped, as every rule's normalization does.
        ("origin", "郑\u{202e}州"),
        ("entry_point", "开封东"),
        ("destination", ""),
        ("symptoms", "no"),
        ("visited_risk_area", "no"),
    ];
    // No destination chosen: asked, nothing stored.
    let res = phone.post(&url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("目的地场所：请选择"));
    let mut forged = form.clone();
    forged[10] = ("destination", "00000000-0000-7000-8000-000000000000");
    let res = phone.post(&url).form(&forged).send().await.unwrap();
    assert_eq!(res.status(), 422, "a venue that is not a registered destination");
    assert!(res.text().await.unwrap().contains("目的地场所：不在列表中"));
    assert_eq!(count(&pool, "SELECT count(*) FROM truck_records").await, 0);
    let mut form = form;
    form[10] = ("destination", park.as_str());
    let res = phone.post(&url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let result_at = result_url(&res);
    // A pre-declaration names the plate and what to do at the checkpoint; it never says 通行.
    let html = res.text().await.unwrap();
    assert!(html.contains("已预申报 · 到卡口报车牌 豫B12345 确认") && !html.contains("通行"), "{html}");
    assert!(
        html.contains("还不是登记") && html.contains("申报时间") && html.contains("目的地场所：鼓楼物流园"),
        "{html}"
    );
    let plate: String = sqlx::query_scalar("SELECT plate FROM truck_records WHERE kind = 'pre_declaration'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(plate, "豫B12345");
    // Not a visit until the checkpoint confirms it (nothing for tracing, nothing at the desks
    // but the pre-declaration).
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM changes WHERE kind = 'phone_visit'").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM changes WHERE kind = 'pre_declaration'").await, 1);
    let pulled = desk.pull(0).await;
    let pre = pulled.changes.iter().find(|c| c.kind == ChangeKind::PreDeclaration).expect("the pre-declaration");
    assert_eq!(pre.body["crew"][0]["origin"], "郑州", "stored as normalized, never as typed");
    assert_eq!(pre.body["crew"][0]["plate"], "豫B12345");
    // 同车人员申报: a link (and its QR) that opens the form with the truck filled in.
    let share = html.split("<a href=\"").find(|a| a.contains("?same=")).and_then(|a| a.split('"').next()).unwrap();
    assert!(html.contains("<svg") && share.starts_with(&s.url(&format!("/c/{code}?same="))), "{html}");
    let co = phone_client();
    let page = co.get(share).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已带入同车人员申报") && page.contains("value=\"豫B12345\""), "{page}");
    assert!(page.contains(&format!("<option value=\"{park}\" selected>")) && page.contains("value=\"郑州\""));
    assert!(!page.contains("孙") && !page.contains(&number) && !page.contains("13837800009"), "never the person");
    // The driver reopens the result after its live minutes: what to do and the link are still
    // there (a pre-declaration is no pass at a door).
    sqlx::query("UPDATE phone_results SET at = at - interval '10 minutes'").execute(&pool).await.unwrap();
    let later = phone.get(&result_at).send().await.unwrap();
    assert_eq!(later.status(), 200);
    let later = later.text().await.unwrap();
    assert!(
        later.contains("到卡口报车牌 豫B12345 确认") && later.contains("同车人员申报") && later.contains("<svg"),
        "{later}"
    );
    // A repeated parameter is read, not refused in English.
    let twice = co.get(format!("{url}?same=a&same=b")).send().await.unwrap();
    assert_eq!(twice.status(), 200);
    assert!(twice.text().await.unwrap().contains("提交预申报"));
    // A guessed or altered token fills in nothing.
    let guessed = format!("{}?same={}", url, "0".repeat(32));
    let page = co.get(&guessed).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("豫B12345") && !page.contains("已带入"));
    let page = co.get(format!("{url}?same=%27%3Cscript%3E")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains("已带入"));
    let fresh = csrf(&phone.get(&url).send().await.unwrap().text().await.unwrap());
    let mut bad = form.clone();
    bad[1] = ("once", fresh.once.as_str());
    bad[6] = ("plate", "12345");
    let res = phone.post(&url).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("车牌号："));
}

/// A result page's address, as the redirect after a check-in names it.
fn result_url(res: &reqwest::Response) -> String {
    res.url().to_string()
}

#[sqlx::test]
async fn one_tap_one_check_in_a_double_tap_and_a_reload_store_nothing_more(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    // The button says 提交中 while the form is sent.
    assert!(html.contains("data-busy=\"提交中…\"") && html.contains("name=\"once\""), "{html}");
    let token = csrf(&html);
    let body = declaration(&token, "王建国", &resident_id(6006));
    // Two taps at once: both requests reach the server together.
    let (a, b) = tokio::join!(phone.post(&url).form(&body).send(), phone.post(&url).form(&body).send());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(result_url(&a), result_url(&b), "both taps show the same result");
    assert!(result_url(&a).contains(&format!("{url}/r/")), "post/redirect/get: {}", result_url(&a));
    // The browser re-sends the same form (back, then submit again).
    let again = phone.post(&url).form(&body).send().await.unwrap();
    assert_eq!(result_url(&again), result_url(&a));
    // Reloading the result page is a GET: it shows the result again.
    let reload = phone.get(result_url(&a)).send().await.unwrap();
    assert_eq!(reload.status(), 200);
    assert!(reload.text().await.unwrap().contains("data-colour=\"green\""));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM changes WHERE kind = 'phone_visit'").await, 1);
    // Another phone cannot read this phone's result.
    let other = phone_client();
    other.get(&url).send().await.unwrap();
    let res = other.get(result_url(&a)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.unwrap().contains("王**"));
    // A form without its one-time token starts over.
    let mut stale = body.clone();
    stale.retain(|(k, _)| *k != "once");
    assert_eq!(phone.post(&url).form(&stale).send().await.unwrap().status(), 403);
    // A new form is a new check-in.
    let token = form(&phone, &url).await;
    let res = phone.post(&url).form(&token.last4(&resident_id(6006)[14..], &[])).send().await.unwrap();
    assert_ne!(result_url(&res), result_url(&a));
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 2);
}

#[sqlx::test]
async fn questions_are_asked_not_assumed_and_an_address_must_be_findable(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(" checked"), "no answer is chosen before the person chooses: {html}");
    // 否 is the good answer to every question: R5's 体温是否正常 is asked as 体温是否异常, its
    // 是 answering that the temperature is not normal.
    assert!(
        html.contains("<legend>体温是否异常</legend><label><input type=\"radio\" name=\"temperature_normal\" value=\"no\"> 是</label>"),
        "{html}"
    );
    let token = csrf(&html);
    let mut body = declaration(&token, "王建国", &resident_id(7007));
    body.retain(|(k, _)| !matches!(*k, "visited_risk_area" | "temperature_normal"));
    set(&mut body, "address", "附近");
    let res = phone.post(&url).form(&body).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for m in [
        "是否到过疫情严重地区：请选择“是”或“否”",
        "体温是否异常：请选择“是”或“否”",
        "住址：缺少路、街、村等位置信息，无法找到这个地址",
    ] {
        assert!(html.contains(m), "{m} in {html}");
    }
    // What was answered stays answered; what was typed stays typed.
    assert!(html.contains("value=\"no\" checked") && html.contains("value=\"附近\""), "{html}");
    assert_eq!(count(&pool, "SELECT count(*) FROM visits").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM people").await, 0);
}

#[sqlx::test]
async fn last_four_ending_in_x_and_ticking_people_instead(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    // A number whose check character is X.
    let x = (1..).map(resident_id).find(|n| n.ends_with('X')).unwrap();
    phone.post(&url).form(&declaration(&form(&phone, &url).await, "王建国", &x)).send().await.unwrap();
    let html = phone.get(&url).send().await.unwrap().text().await.unwrap();
    // A number pad with an X key beside it.
    assert!(html.contains("inputmode=\"numeric\"") && html.contains("class=\"xkey\""), "{html}");
    let token = csrf(&html);
    let lower = x[14..].to_ascii_lowercase();
    let res = phone.post(&url).form(&token.last4(&lower, &[])).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("data-colour=\"green\""));
    // A second person on the phone; then ticking both is enough, since the owner is ticked.
    let t = csrf(&phone.get(format!("{url}?new=1")).send().await.unwrap().text().await.unwrap());
    let mut other = declaration(&t, "王小红", &resident_id(8008));
    other.extend([("new", "1".into()), ("relation", "配偶".into())]);
    phone.post(&url).form(&other).send().await.unwrap();
    let t = form(&phone, &url).await;
    let only_spouse = phone.post(&url).form(&t.last4("", &["2"])).send().await.unwrap();
    assert_eq!(only_spouse.status(), 422);
    assert!(only_spouse.text().await.unwrap().contains("请输入其中一人的证件号码后四位"));
    let both = phone.post(&url).form(&t.last4("", &["1", "2"])).send().await.unwrap();
    assert_eq!(both.status(), 200);
    assert_eq!(both.text().await.unwrap().matches("class=\"who ").count(), 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM visits WHERE way_in = 'last4'").await, 3);
}

/// R7 on the phone alone: yellow by a declaration, then four digits a minute later: still
/// yellow (the raised colour is kept by the centre).
#[sqlx::test]
async fn a_yellow_declared_on_the_phone_stays_yellow_with_four_digits(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let id = resident_id(5151);
    let mut body = declaration(&form(&phone, &url).await, "王建国", &id);
    set(&mut body, "visited_risk_area", "yes");
    let html = phone.post(&url).form(&body).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"yellow\""), "{html}");
    let html = last4(&phone, &url, &id[14..]).await;
    assert!(html.contains("data-colour=\"yellow\"") && html.contains("近期已判定为黄码"), "{html}");
}

/// A result page reopened after its few minutes shows no colour: the live clock cannot make an
/// old green look current.
#[sqlx::test]
async fn an_old_result_has_expired(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let phone = phone_client();
    let body = declaration(&form(&phone, &url).await, "王建国", &resident_id(6161));
    let res = phone.post(&url).form(&body).send().await.unwrap();
    let result = res.url().to_string();
    assert!(res.text().await.unwrap().contains("data-colour=\"green\""));
    sqlx::query("UPDATE phone_results SET at = at - interval '6 minutes'").execute(&pool).await.unwrap();
    let old = phone.get(&result).send().await.unwrap();
    assert_eq!(old.status(), 410);
    let html = old.text().await.unwrap();
    assert!(html.contains("此登记结果已过期") && !html.contains("data-colour") && !html.contains("绿码"), "{html}");
}

/// Knowing someone's ID number does not let a stranger rename them: the details on file stay,
/// and the stranger's page shows the name on file, masked.
#[sqlx::test]
async fn a_phone_never_overwrites_details_on_file(pool: PgPool) {
    let (_s, desk, url) = market(&pool).await;
    let victim = resident_id(7171);
    let owner = phone_client();
    owner.post(&url).form(&declaration(&form(&owner, &url).await, "李秀兰", &victim)).send().await.unwrap();
    let stranger = phone_client();
    let mut body = declaration(&form(&stranger, &url).await, "冒名者", &victim);
    set(&mut body, "address", "假地址路1号");
    set(&mut body, "phone", "13000000000");
    let html = stranger.post(&url).form(&body).send().await.unwrap().text().await.unwrap();
    // The stranger's phone shows what it typed: it learns nothing of the person on file.
    assert!(html.contains("冒**") && !html.contains("李*"), "{html}");
    let on_file = people_on_file(&pool).await.remove(0);
    assert_eq!(
        (on_file.name.as_str(), on_file.address.as_str(), on_file.phone.as_deref()),
        ("李秀兰", "开封市鼓楼区中山路1号", Some("13837800003"))
    );
    // The desks pull the name on file too.
    let pulled = desk.pull(0).await;
    assert!(pulled
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::PhoneVisit)
        .all(|c| c.body["person"]["name"] == "李秀兰"));
}

/// Truck crews: a tampered document kind is refused (never taken for a resident ID), and a
/// yellow pre-declaration says what to do at the checkpoint, with the plate.
#[sqlx::test]
async fn a_crews_bad_document_kind_is_refused_and_yellow_says_what_to_do(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (_, code) = desk.venue_with_code("开封东收费站卡口", CodeKind::Checkpoint).await;
    let phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let number = resident_id(8181);
    let crew = |t: &Tokens, kind: &str, symptoms: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", t.csrf.clone()),
            ("once", t.once.clone()),
            ("action", "declare".into()),
            ("name", "孙师傅".into()),
            ("document_kind", kind.into()),
            ("document_number", number.clone()),
            ("plate", "豫B12345".into()),
            ("phone", "13837800009".into()),
            ("origin", "郑州".into()),
            ("entry_point", "开封东".into()),
            ("destination", "other".into()),
            ("symptoms", symptoms.into()),
            ("visited_risk_area", "no".into()),
        ]
    };
    let t = form(&phone, &url).await;
    let res = phone.post(&url).form(&crew(&t, "'; DROP TABLE people;--", "no")).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("证件类型：不在可选范围内"));
    assert_eq!(count(&pool, "SELECT count(*) FROM truck_records").await, 0);
    let html = phone.post(&url).form(&crew(&t, "resident_id", "yes")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("data-colour=\"yellow\"")
            && html.contains("已预申报 · 黄码：到达卡口时")
            && html.contains("豫B12345"),
        "{html}"
    );
    assert!(!html.contains("请到登记台"), "{html}");
}

/// Knowing someone's ID number does not let a stranger mark them red everywhere: a colour raised
/// by a declaration from a phone that is not the person's own stays on that phone (which still
/// cannot talk its way back to green); the person's own phone and the centre are untouched. The
/// person's own phone may correct their details.
#[sqlx::test]
async fn a_stranger_cannot_mark_someone_red_but_their_own_phone_stays_red(pool: PgPool) {
    let (_s, _desk, url) = market(&pool).await;
    let victim = resident_id(9191);
    let owner = phone_client();
    owner.post(&url).form(&declaration(&form(&owner, &url).await, "李秀兰", &victim)).send().await.unwrap();
    let stranger = phone_client();
    let mut body = declaration(&form(&stranger, &url).await, "李秀兰", &victim);
    set(&mut body, "contact_with_suspected", "yes");
    let html = stranger.post(&url).form(&body).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"red\""), "the stranger's own answer: red on their screen");
    assert_eq!(count(&pool, "SELECT count(*) FROM raised").await, 0, "nothing follows the person");
    assert!(last4(&owner, &url, &victim[14..]).await.contains("data-colour=\"green\""), "the owner is not marked");
    assert!(last4(&stranger, &url, &victim[14..]).await.contains("data-colour=\"red\""), "that phone stays red");
    // The person's own phone corrects their address.
    let t = csrf(&owner.get(format!("{url}?new=1")).send().await.unwrap().text().await.unwrap());
    let mut fix = declaration(&t, "李秀兰", &victim);
    fix.extend([("new", "1".into()), ("relation", "其他".into())]);
    set(&mut fix, "address", "鼓楼区自由路66号");
    owner.post(&url).form(&fix).send().await.unwrap();
    assert_eq!(people_on_file(&pool).await[0].address, "鼓楼区自由路66号");
}

/// Being first to declare a number gives no power over its colour elsewhere: a stranger who
/// declares numbers not yet on file, answering 接触过疑似病人, keeps red on their own phone only
/// (a trial made 149 of 149 such numbers red on every desk and phone for 14 days): nothing is
/// kept for the person, so desks pull nothing, and the person declaring later on their own phone
/// sees green. The risk list's colour still follows the person from a phone check-in.
#[sqlx::test]
async fn a_stranger_first_to_declare_a_number_cannot_mark_it_red_elsewhere(pool: PgPool) {
    let (s, _desk, url) = market(&pool).await;
    let victim = resident_id(9292);
    let stranger = phone_client();
    let mut body = declaration(&form(&stranger, &url).await, "冒名者", &victim);
    set(&mut body, "contact_with_suspected", "yes");
    let html = stranger.post(&url).form(&body).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-colour=\"red\""), "the stranger's own answer: red on their screen");
    assert_eq!(count(&pool, "SELECT count(*) FROM raised").await, 0, "nothing follows the number");
    assert!(last4(&stranger, &url, &victim[14..]).await.contains("data-colour=\"red\""), "that phone stays red");
    let owner = phone_client();
    let html = owner
        .post(&url)
        .form(&declaration(&form(&owner, &url).await, "李秀兰", &victim))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-colour=\"green\""), "the person's own declaration: {html}");
    // A listed person checking in on a phone: the list's colour is kept for them everywhere.
    let listed = resident_id(9393);
    placecode_central::risk::import(&pool, &s.keys, format!("{listed},红,密接\n").as_bytes(), false).await.unwrap();
    let p = phone_client();
    let html = p.post(&url).form(&declaration(&form(&p, &url).await, "王丽", &listed)).send().await.unwrap();
    assert!(html.text().await.unwrap().contains("data-colour=\"red\""));
    assert_eq!(count(&pool, "SELECT count(*) FROM raised WHERE colour = 'red'").await, 1, "the list's colour is kept");
}

/// A stranger first to declare someone's number on a phone does not keep their name and phone
/// on file once a desk has recorded the person with the document in hand, even when the desk's
/// record reaches the centre later than the phone's and is older; tracing lists the desk's
/// details first. The stranger's later declarations change nothing.
#[sqlx::test]
async fn a_desks_record_of_a_person_outranks_a_phone_that_declared_them_first(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (venue, code) = desk.venue_with_code("鼓楼超市", CodeKind::General).await;
    let url = s.url(&format!("/c/{code}"));
    let victim = resident_id(9494);
    let stranger = phone_client();
    let mut body = declaration(&form(&stranger, &url).await, "冒名者", &victim);
    set(&mut body, "phone", "13912345678");
    assert_eq!(stranger.post(&url).form(&body).send().await.unwrap().status(), 200);
    assert_eq!(people_on_file(&pool).await[0].name, "冒名者", "the first phone is taken as the person's own");
    // The desk saw the person an hour before, offline; its record arrives now.
    let seen = chrono::Utc::now() - chrono::Duration::hours(1);
    let pushed = desk.push(&[visit_record(venue, &victim, "李秀兰", seen)]).await;
    assert_eq!(pushed.results[0].status, placecode_core::sync::PushStatus::Stored);
    let on_file = &people_on_file(&pool).await[0];
    assert_eq!((on_file.name.as_str(), on_file.phone.as_deref()), ("李秀兰", Some("13837800002")));
    // Another desk's record of the person, newer than the first desk's (still older than the
    // phone's): the newer desk's details win.
    let pushed = desk.push(&[visit_record(venue, &victim, "李秀芝", seen + chrono::Duration::minutes(30))]).await;
    assert_eq!(pushed.results[0].status, placecode_core::sync::PushStatus::Stored);
    assert_eq!(people_on_file(&pool).await[0].name, "李秀芝");
    // The stranger declares again from another phone, newer: the desk's details stay.
    let second = phone_client();
    let mut again = declaration(&form(&second, &url).await, "冒名者", &victim);
    set(&mut again, "phone", "13912345678");
    let res = second.post(&url).form(&again).send().await.unwrap();
    let status = res.status();
    let html = res.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    let on_file = &people_on_file(&pool).await[0];
    assert_eq!((on_file.name.as_str(), on_file.phone.as_deref()), ("李秀芝", Some("13837800002")));
    let hash = s.keys.person(&victim).lookup;
    let details = placecode_central::people::details(&pool, &s.keys, &hash).await.unwrap();
    assert!(details[0].source.starts_with("desk:"), "{details:?}");
    assert_eq!(details[0].name, "李秀芝");
    assert!(details.iter().any(|d| d.name == "冒名者"), "what the phone said is kept apart: {details:?}");
}
