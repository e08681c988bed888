//! The supervision console over HTTP, as a browser and as an attacker would use it: sign-in with
//! a password and a TOTP code, roles and districts on pages and exports, sessions, CSRF, the
//! audit log. (The same flows in a real Chromium are in `browser.rs`.)

mod common;

use chrono::{Duration, Utc};
use common::*;
use placecode_central::audit::Actor;
use placecode_central::console::account::{self, Role};
use placecode_core::venue::District;
use sqlx::PgPool;

const PASSWORD: &str = "鼓楼区疫情防控2026！";

/// A console user made as the administrator's CLI makes one; answers the TOTP secret.
async fn user(s: &Server, login: &str, role: Role) -> String {
    let created = account::add(&s.pool, &s.keys, &Actor::cli(""), login, "张敏", role, PASSWORD).await.expect("user");
    created.totp_secret
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Signs in; answers the status and the page (a 303 to the console on success).
async fn sign_in(s: &Server, b: &reqwest::Client, login: &str, password: &str, code: &str) -> (u16, String) {
    let res = b
        .post(s.url("/console/login"))
        .header("origin", &s.base)
        .form(&[("login", login), ("password", password), ("code", code)])
        .send()
        .await
        .expect("sign in");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

fn code_now(secret: &str) -> String {
    account::totp_code(secret, Utc::now()).expect("code")
}

/// A code of another 30 s window than the one just used (a code is taken once).
fn code_next(secret: &str) -> String {
    account::totp_code(secret, Utc::now() + Duration::seconds(30)).expect("code")
}

async fn get(s: &Server, b: &reqwest::Client, path: &str) -> (u16, String) {
    let res = b.get(s.url(path)).send().await.expect("get");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// The cells of a page's table rows (each row found by `marker`, where its cells begin), as text.
fn cells(html: &str, marker: &str) -> Vec<Vec<String>> {
    html.split(marker)
        .skip(1)
        .map(|row| {
            let row = row.split("</tr>").next().unwrap_or_default();
            row.split("<td")
                .skip(1)
                .map(|c| {
                    c.split_once('>')
                        .map(|x| x.1)
                        .unwrap_or_default()
                        .split("</td>")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

/// The cells of a coverage page's rows, as text.
fn rows(html: &str) -> Vec<Vec<String>> {
    cells(html, "data-testid=\"coverage-row\">")
}

#[sqlx::test]
async fn a_city_supervisor_signs_in_with_a_password_and_a_code_and_reads_coverage(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    venues_in_two_districts(&s).await;
    // 鼓楼超市 registered again by another desk (refused, 一所一码), which checks people in there.
    let twin_desk = s.desk(&["gulou"], &[]).await;
    let twin = uuid::Uuid::now_v7();
    let res = twin_desk.push(&[venue_record(twin, "鼓楼超市", placecode_core::venue::CodeKind::General)]).await;
    assert_eq!(res.results[0].decision.as_ref().map(|d| d.status.as_str()), Some("rejected"));
    twin_desk.push(&[visit_record(twin, &resident_id(5), "王芳", Utc::now() - Duration::hours(1))]).await;
    let secret = user(&s, "zhangmin", Role::City).await;
    let b = browser();
    // Not signed in: every page leads to the sign-in page.
    let res = b.get(s.url("/console/coverage")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/login");
    let (status, page) = get(&s, &b, "/console/login").await;
    assert_eq!(status, 200);
    assert!(page.contains("登录监管平台") && page.contains("动态验证码"), "{page}");

    let res = b
        .post(s.url("/console/login"))
        .header("origin", &s.base)
        .form(&[("login", " ZhangMin "), ("password", PASSWORD), ("code", &code_now(&secret))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/coverage");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("pc_console=pcs_") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let res = b.get(s.url("/console/coverage")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains("张敏 · 市级监管"), "{page}");
    let r = rows(&page);
    // 鼓楼区 商场超市: 3 registered (one a refused twin), 2 approved, 1 with a live code (50%), 1
    // active today and this week (the refused twin's check-ins do not count as a venue in use).
    assert!(
        r.contains(&["鼓楼区", "商场超市", "3", "2", "1", "50%", "1", "1", "0", "0", "—"].map(String::from).to_vec()),
        "{r:?}"
    );
    assert!(
        r.contains(&["龙亭区", "农贸市场", "1", "1", "1", "100%", "0", "0", "0", "0", "—"].map(String::from).to_vec()),
        "{r:?}"
    );
    assert!(page.contains("data-testid=\"coverage-total\">"), "{page}");
    // The city supervisor may narrow to one district.
    let (_, only) = get(&s, &b, "/console/coverage?district=longting").await;
    assert!(rows(&only).iter().all(|r| r[0] == "龙亭区"), "{:?}", rows(&only));

    // The export: the same table, Chinese headers, read back from the workbook.
    let res = b.get(s.url("/console/coverage.xlsx")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''%E5%9C%BA"));
    let cells = read_xlsx(&res.bytes().await.unwrap());
    assert_eq!(cells[0][..3], ["辖区", "场所类型", "已登记"].map(String::from));
    assert!(
        cells.iter().any(|r| r[..6] == ["鼓楼区", "商场超市", "3", "2", "1", "50%"].map(String::from)),
        "{cells:?}"
    );
    assert_eq!(cells.last().map(|r| r[0].as_str()), Some("合计"));

    // Each view and the export are in the audit log, under the user's name.
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE actor LIKE 'console:%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let actions: Vec<&str> = audited.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(actions, ["console_sign_in", "console_coverage", "console_coverage", "console_export"]);
    assert!(audited.iter().all(|(who, _)| who == "console:zhangmin"));

    // 退出 ends the session on the server: the old cookie opens nothing.
    let (_, page) = get(&s, &b, "/console/coverage").await;
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let res = b.post(s.url("/console/logout")).header("origin", &s.base).form(&[("csrf", &csrf)]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/login?out");
    let stolen = cookie.split(';').next().unwrap().to_owned();
    let res = browser().get(s.url("/console/coverage")).header("cookie", &stolen).send().await.unwrap();
    assert_eq!(res.status(), 303, "a signed-out session's cookie still works");
}

fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = book.worksheet_range("覆盖情况").expect("sheet");
    sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[sqlx::test]
async fn a_district_supervisor_sees_only_their_district_and_a_tracer_no_coverage(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    venues_in_two_districts(&s).await;
    let secret = user(&s, "longting.jg", Role::District(District::Longting)).await;
    let b = browser();
    assert_eq!(sign_in(&s, &b, "longting.jg", PASSWORD, &code_now(&secret)).await.0, 303);
    for path in ["/console/coverage", "/console/coverage?district=gulou"] {
        let (status, page) = get(&s, &b, path).await;
        assert_eq!(status, 200);
        let r = rows(&page);
        assert!(!r.is_empty() && r.iter().all(|r| r[0] == "龙亭区"), "{path}: {r:?}");
        assert!(!page.contains("鼓楼"), "{path} shows another district");
    }
    let res = b.get(s.url("/console/coverage.xlsx?district=gulou")).send().await.unwrap();
    let cells = read_xlsx(&res.bytes().await.unwrap());
    assert!(cells.iter().skip(1).all(|r| r[0] == "龙亭区" || r[0] == "合计"), "{cells:?}");
    assert!(!cells.iter().flatten().any(|c| c.contains("鼓楼")), "{cells:?}");

    let secret = user(&s, "liudiao", Role::Tracer).await;
    let t = browser();
    let res = t
        .post(s.url("/console/login"))
        .header("origin", &s.base)
        .form(&[("login", "liudiao"), ("password", PASSWORD), ("code", &code_now(&secret))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/console/trace");
    for path in ["/console/coverage", "/console/coverage.xlsx"] {
        let (status, page) = get(&s, &t, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(page.contains("无权查看"), "{page}");
    }
}

#[sqlx::test]
async fn wrong_passwords_codes_and_replays_are_refused_alike_and_a_name_locks(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let secret = user(&s, "zhangmin", Role::City).await;
    let b = browser();
    let wrong = "用户名、密码或动态验证码不正确";
    // A wrong password with the right code; the right password with a wrong code; an unknown
    // name: one answer, no hint which part was wrong.
    for (login, password, code) in [
        ("zhangmin", "鼓楼区疫情防控2025！", code_now(&secret)),
        ("zhangmin", PASSWORD, "000000".to_owned()),
        ("nobody", PASSWORD, code_now(&secret)),
        ("<script>alert(1)</script>", "x' OR '1'='1", "' OR 1=1".to_owned()),
    ] {
        let (status, page) = sign_in(&s, &b, login, password, &code).await;
        assert_eq!(status, 401, "{login}");
        assert!(page.contains(wrong), "{page}");
        assert!(!page.contains("<script>alert"), "the typed name is shown escaped");
    }
    // The right code once signs in; the same code again (seen over a shoulder) does not.
    let code = code_now(&secret);
    assert_eq!(sign_in(&s, &b, "zhangmin", PASSWORD, &code).await.0, 303);
    let (status, _) = sign_in(&s, &browser(), "zhangmin", PASSWORD, &code).await;
    assert_eq!(status, 401, "a TOTP code was accepted twice");
    // Five failures in a row lock the name for 15 minutes, right password or not; an unknown
    // name locks the same way, so a lock tells nothing about who exists.
    let other = user(&s, "wangli", Role::City).await;
    for name in ["wangli", "nobody2"] {
        for _ in 0..5 {
            assert_eq!(sign_in(&s, &b, name, "wrong password!!", "123456").await.0, 401);
        }
        let (status, page) = sign_in(&s, &b, name, PASSWORD, &code_now(&other)).await;
        assert_eq!(status, 429, "{name}");
        assert!(page.contains("已暂停登录15分钟"), "{page}");
    }
    let refused: i64 = count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'console_sign_in_refused'").await;
    assert!(refused >= 16, "{refused}");
    // The lock holds for the name from this address only: its owner elsewhere still signs in
    // (someone who knows a name cannot lock its owner out), until 30 failures lock it everywhere.
    let elsewhere =
        account::sign_in(&pool, &s.keys, "wangli", PASSWORD, &code_next(&other), "10.1.2.3", Utc::now()).await;
    assert!(matches!(elsewhere, Ok(Ok(_))), "{elsewhere:?}");
    // A guesser spread over six addresses, five tries each.
    for i in 0..30 {
        let from = format!("10.9.9.{}", i / 5);
        let r = account::sign_in(&pool, &s.keys, "wangli", "wrong password!!", "123456", &from, Utc::now()).await;
        assert!(matches!(r, Ok(Err(account::Refused::Wrong))), "{i}: {r:?}");
    }
    // Locked everywhere, a wrong password, and the right one with a wrong code, are refused alike
    // as locked, from any address; the owner's right password with a right code still gets in (a
    // stranger's thirty tries had locked a supervisor out).
    for (pw, code) in [("wrong password!!", code_now(&other)), (PASSWORD, "000000".to_owned())] {
        let r = account::sign_in(&pool, &s.keys, "wangli", pw, &code, "10.1.2.4", Utc::now()).await;
        assert!(matches!(r, Ok(Err(account::Refused::Locked))), "{r:?}");
    }
    let later = Utc::now() + Duration::seconds(60);
    let owner = account::sign_in(
        &pool,
        &s.keys,
        "wangli",
        PASSWORD,
        &account::totp_code(&other, later).unwrap(),
        "10.1.2.5",
        later,
    )
    .await;
    assert!(matches!(owner, Ok(Ok(_))), "{owner:?}");
    // A name no user has is never written to the log (it may be a password typed in the wrong field).
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE actor LIKE '%nobody%' OR actor LIKE '%script%'").await,
        0
    );
    assert!(count(&pool, "SELECT count(*) FROM audit_log WHERE actor = 'console:（不存在的用户名）'").await >= 6);
}

#[sqlx::test]
async fn a_foreign_form_a_missing_token_and_a_disabled_user_get_nothing(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let secret = user(&s, "zhangmin", Role::City).await;
    // Signing in from another site's form.
    let res = browser()
        .post(s.url("/console/login"))
        .header("origin", "https://evil.example")
        .form(&[("login", "zhangmin"), ("password", PASSWORD), ("code", &code_now(&secret))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let b = browser();
    assert_eq!(sign_in(&s, &b, "zhangmin", PASSWORD, &code_now(&secret)).await.0, 303);
    // 退出 without the page's token, or from another site, does nothing.
    for (origin, csrf) in
        [(s.base.as_str(), ""), (s.base.as_str(), "0123456789abcdef0123456789abcdef"), ("https://evil.example", "")]
    {
        let res =
            b.post(s.url("/console/logout")).header("origin", origin).form(&[("csrf", csrf)]).send().await.unwrap();
        assert_eq!(res.status(), 403, "{origin} {csrf}");
    }
    assert_eq!(get(&s, &b, "/console/coverage").await.0, 200, "still signed in");
    // A forged cookie opens nothing.
    let res = browser().get(s.url("/console/coverage")).header("cookie", "pc_console=pcs_0000").send().await.unwrap();
    assert_eq!(res.status(), 303);
    // Disabled by the administrator: the open session ends at once, and no new one starts.
    account::disable(&pool, &Actor::cli(""), "zhangmin").await.unwrap();
    let res = b.get(s.url("/console/coverage")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/login?expired");
    assert_eq!(sign_in(&s, &browser(), "zhangmin", PASSWORD, &code_next(&secret)).await.0, 401);
    // Nothing about the user is kept in clear: the TOTP secret is sealed, the password hashed.
    let (hash, sealed): (String, String) =
        sqlx::query_as("SELECT password_hash, totp_sealed FROM console_users").fetch_one(&pool).await.unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
    assert!(sealed.starts_with("pc1.") && !sealed.contains(&secret), "{sealed}");
}

#[sqlx::test]
async fn a_user_is_made_only_with_a_sound_name_role_and_password(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let add = |login: &'static str, pw: &'static str| {
        let (pool, keys) = (s.pool.clone(), s.keys.clone());
        async move { account::add(&pool, &keys, &Actor::cli(""), login, "张敏", Role::City, pw).await }
    };
    assert!(add("zhangmin", PASSWORD).await.is_ok());
    for (login, pw, field) in [
        ("zhangmin", PASSWORD, "login"),
        ("ZHANGMIN", PASSWORD, "login"),
        ("张敏", PASSWORD, "login"),
        ("wangli", "short", "password"),
        ("wangli", "wangli-wangli-2026", "password"),
    ] {
        match add(login, pw).await {
            Err(placecode_central::CentralError::Invalid { field: f, message }) => {
                assert_eq!(f, field, "{login} {pw}: {message}");
            }
            other => panic!("{login} {pw}: {other:?}"),
        }
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM console_users").await, 1, "nothing half-saved");
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'console_user_add'").await, 1);
}

/// Signs a new user of `role` in; answers their browser.
async fn signed_in(s: &Server, login: &str, role: Role) -> reqwest::Client {
    let secret = user(s, login, role).await;
    let b = browser();
    assert_eq!(sign_in(s, &b, login, PASSWORD, &code_now(&secret)).await.0, 303);
    b
}

/// The CSRF token of the console page at `path`.
async fn page_csrf(s: &Server, b: &reqwest::Client, path: &str) -> String {
    let (_, page) = get(s, b, path).await;
    page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf").to_owned()
}

async fn trace(s: &Server, b: &reqwest::Client, csrf: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let res = b.post(s.url("/console/trace")).header("origin", &s.base).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

#[sqlx::test]
async fn a_tracer_traces_with_a_purpose_sees_people_in_full_and_is_audited(pool: PgPool) {
    let mut cfg = serve_config(100_000);
    cfg.tracer_per_hour = 7;
    let s = Server::start_with(pool.clone(), cfg).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let (case, contact) = (resident_id(11), resident_id(12));
    let now = Utc::now();
    desk.push(&[
        visit_record(mall, &case, "病例甲", now - Duration::hours(30)),
        visit_record(mall, &contact, "接触乙", now - Duration::hours(29)),
    ])
    .await;
    let b = signed_in(&s, "liudiao", Role::Tracer).await;
    // A tracer lands on the tracing page; there is no coverage for them in the menu.
    let res = b.get(s.url("/console")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/console/trace");
    let (_, page) = get(&s, &b, "/console/trace").await;
    assert!(page.contains("流调查询") && !page.contains("/console/coverage"), "{page}");
    let csrf = page_csrf(&s, &b, "/console/trace").await;
    let today = placecode_core::sync::shanghai_date(now);
    let from = (today - chrono::Days::new(3)).to_string();
    let to = today.to_string();

    // No purpose: refused, naming the field, and nothing is traced or counted.
    let (status, page) = trace(
        &s,
        &b,
        &csrf,
        &[("kind", "person"), ("id_number", &case), ("from", &from), ("to", &to), ("purpose", " ")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("查询用途：必填") && page.contains("id=\"purpose\" name=\"purpose\""), "{page}");
    // A bad number: refused with its reason.
    let (status, page) = trace(
        &s,
        &b,
        &csrf,
        &[
            ("kind", "person"),
            ("id_number", "<script>1</script>"),
            ("from", &from),
            ("to", &to),
            ("purpose", "流调2026-118号"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("证件号：") && !page.contains("<script>1"), "{page}");
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action LIKE 'trace%'").await, 0);

    // The person's visits: in full (the tracer's purpose is to reach people), with a timeline.
    let (status, page) = trace(
        &s,
        &b,
        &csrf,
        &[("kind", "person"), ("id_number", &case), ("from", &from), ("to", &to), ("purpose", "流调2026-118号")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&case) && page.contains("病例甲") && page.contains("鼓楼超市"), "{page}");
    assert!(page.contains("data-testid=\"trace-timeline\""), "{page}");
    // Who overlapped them: the contact, an hour apart.
    let (status, page) = trace(
        &s,
        &b,
        &csrf,
        &[("kind", "overlap"), ("id_number", &case), ("hours", "2"), ("purpose", "流调2026-118号")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&contact) && page.contains("接触乙") && page.contains("<td class=\"n\">60</td>"), "{page}");
    let audited: Vec<(String, String, String)> =
        sqlx::query_as("SELECT actor, action, purpose FROM audit_log WHERE action LIKE 'trace%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited[..2],
        [("trace_person", 1), ("trace_overlap", 1)].map(|(a, _)| (
            "console:liudiao".to_owned(),
            a.to_owned(),
            "流调2026-118号".to_owned()
        ))
    );
    // The audit keeps who was traced masked, never in clear.
    assert_eq!(count(&pool, &format!("SELECT count(*) FROM audit_log WHERE params::text LIKE '%{case}%'")).await, 0);

    // A venue's people: found by part of its name; when several venues hold it, one is chosen.
    let venue_ask = |venue: &'static str, id: String| {
        let (s, b, csrf, from, to) = (&s, &b, csrf.clone(), from.clone(), to.clone());
        async move {
            trace(
                s,
                b,
                &csrf,
                &[
                    ("kind", "venue"),
                    ("venue", venue),
                    ("venue_id", &id),
                    ("from", &from),
                    ("to", &to),
                    ("purpose", "流调2026-118号"),
                ],
            )
            .await
        }
    };
    let (status, page) = venue_ask("超市", String::new()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("病例甲") && page.contains("接触乙"), "{page}");
    let (hotel, _) = desk.venue_with_code("鼓楼宾馆", placecode_core::venue::CodeKind::General).await;
    let (status, page) = venue_ask("鼓楼", String::new()).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("有多个场所名称含这些字") && page.matches("data-testid=\"trace-venue-choice\"").count() == 2,
        "{page}"
    );
    let (status, page) = venue_ask("鼓楼", hotel.to_string()).await;
    assert_eq!(status, 200);
    assert!(page.contains("没有查到记录"), "the hotel had no one: {page}");
    // The venue chosen is kept in the form (for an export or the next window), by name and id.
    assert!(page.contains("id=\"venue\" name=\"venue\" type=\"text\" value=\"鼓楼宾馆\""), "{page}");
    assert!(page.contains(&format!("name=\"venue_id\" value=\"{hotel}\"")), "{page}");
    let (status, page) = venue_ask("%", String::new()).await;
    assert_eq!(status, 400, "a wildcard is a character, not every venue: {page}");
    // 导出Excel: masked unless the tracer asks for people in full; a query each, audited.
    let export = |full: &'static str| {
        let (s, b, csrf, case, from, to) = (&s, &b, csrf.clone(), case.clone(), from.clone(), to.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("kind", "person"),
                ("id_number", case.as_str()),
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("purpose", "流调2026-118号"),
                ("export", "1"),
                ("full", full),
            ];
            let res = b.post(s.url("/console/trace")).header("origin", &s.base).form(&form).send().await.unwrap();
            read_sheet(&res.bytes().await.unwrap(), "流调查询")
        }
    };
    let masked = export("0").await;
    assert_eq!(masked[1][3], placecode_core::mask::id_number(&case), "{masked:?}");
    let full = export("1").await;
    assert_eq!((full[1][2].as_str(), full[1][3].as_str()), ("病例甲", case.as_str()), "{full:?}");
    // Without the page's token, or past the hourly limit (shared with the tracing API): refused.
    let (status, _) = trace(
        &s,
        &b,
        "",
        &[("kind", "person"), ("id_number", &case), ("from", &from), ("to", &to), ("purpose", "流调2026-118号")],
    )
    .await;
    assert_eq!(status, 403);
    let ask =
        [("kind", "person"), ("id_number", case.as_str()), ("from", &from), ("to", &to), ("purpose", "流调2026-118号")];
    assert_eq!(trace(&s, &b, &csrf, &ask).await.0, 200);
    let (status, page) = trace(&s, &b, &csrf, &ask).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("查询次数已达上限"), "{page}");
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'trace_refused'").await, 1);
}

#[sqlx::test]
async fn the_city_sees_traces_masked_and_a_district_not_at_all(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let mut desk = s.desk(&["gulou"], &[]).await;
    let (mall, _) = desk.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let case = resident_id(21);
    let visited = Utc::now() - Duration::hours(3);
    desk.push(&[visit_record(mall, &case, "病例甲", visited)]).await;
    let city = signed_in(&s, "zhangmin", Role::City).await;
    let csrf = page_csrf(&s, &city, "/console/trace").await;
    // From the visit's day in Beijing, which is yesterday's between midnight and 03:00.
    let from = placecode_core::sync::shanghai_date(visited).to_string();
    let today = placecode_core::sync::shanghai_date(Utc::now()).to_string();
    let (status, page) = trace(
        &s,
        &city,
        &csrf,
        &[("kind", "person"), ("id_number", &case), ("from", &from), ("to", &today), ("purpose", "市指挥部核查")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("鼓楼超市") && page.contains("已脱敏"), "{page}");
    // The rows are masked (the form keeps the number the supervisor typed).
    let table = page.split("<tbody>").nth(1).unwrap_or_default();
    assert!(!table.contains(&case) && !table.contains("病例甲") && !table.contains("13837800002"), "{table}");
    assert!(table.contains(&placecode_core::mask::id_number(&case)) && table.contains("138****0002"), "{table}");

    // The audit log shows the query, its purpose and whom it traced (masked), to the city.
    let (status, page) = get(&s, &city, "/console/audit?action=trace_person").await;
    assert_eq!(status, 200);
    let first = page.split("data-testid=\"audit-row\">").nth(1).unwrap_or_default();
    assert!(
        first.contains("console:zhangmin") && first.contains("查询某人行程") && first.contains("市指挥部核查"),
        "{first}"
    );
    assert!(first.contains(&placecode_core::mask::id_number(&case)) && !page.contains(&case), "{first}");
    let res = city.get(s.url("/console/audit.xlsx?action=trace_person")).send().await.unwrap();
    let rows = read_sheet(&res.bytes().await.unwrap(), "审计日志");
    assert_eq!(rows[0][..3], ["时间", "操作人", "操作"].map(String::from));
    assert!(rows.iter().skip(1).all(|r| r[2] == "查询某人行程") && rows.len() == 2, "{rows:?}");
    assert_eq!(get(&s, &district_of(&s).await, "/console/audit.xlsx").await.0, 403);
    let (_, hostile) = get(&s, &city, "/console/audit?action=%3Cscript%3E").await;
    assert!(
        !hostile.contains("<script>") && hostile.contains("data-testid=\"audit-row\""),
        "an unknown action shows all"
    );

    let district = signed_in(&s, "gulou.jg", Role::District(District::Gulou)).await;
    let (status, _) = get(&s, &district, "/console/trace").await;
    assert_eq!(status, 403);
    assert_eq!(get(&s, &district, "/console/audit").await.0, 403);
    let (status, _) = trace(&s, &district, "x", &[("kind", "person"), ("id_number", &case), ("purpose", "看看")]).await;
    assert_eq!(status, 403);
}

async fn upload(s: &Server, b: &reqwest::Client, csrf: &str, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let res = b.post(s.url("/console/places/import")).header("origin", &s.base).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// The rows of the places-without-a-code table: (name, status, reminders).
fn missing_rows(html: &str) -> Vec<(String, String, String)> {
    cells(html, "data-testid=\"places-row\">").into_iter().map(|c| (c[2].clone(), c[6].clone(), c[7].clone())).collect()
}

#[sqlx::test]
async fn the_regulators_list_finds_places_without_a_code_and_reminders_are_logged(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    venues_in_two_districts(&s).await;
    // 龙亭农贸市场's code is ten days old and no one has checked in there: a silent code.
    sqlx::query("UPDATE codes SET created_at = now() - interval '10 days' FROM venues v WHERE v.id = codes.venue_id AND v.name = '龙亭农贸市场'")
        .execute(&pool)
        .await
        .unwrap();
    let city = signed_in(&s, "zhangmin", Role::City).await;
    // Before any list: nothing to compare with, said so, not "none missing".
    let (_, before) = get(&s, &city, "/console/places").await;
    assert!(before.contains("data-testid=\"places-no-list\"") && !before.contains("places-none"), "{before}");
    let csrf = page_csrf(&s, &city, "/console/places").await;
    // The list as Excel in China saves a CSV: GBK, names written with other spaces and widths.
    let csv = "场所名称,详细地址,所在辖区,场所类型,联系人,联系电话\n\
               鼓楼 超市,开封市鼓楼区中山路１００号,鼓楼区,商场超市,王建国,13837800001\n\
               鼓楼书店,鼓楼区中山路100号,鼓楼区,商场超市,李华,13837800005\n\
               龙亭花店,龙亭区北门大街9号,龙亭区,网吧,赵敏,13837800006\n\
               郑州商店,二七路1号,郑州市,商场超市,钱七,13837800007\n\
               龙亭花店,北门大街9号,龙亭区,,赵敏,13837800006\n\
               <script>alert(1)</script>,龙亭区北门大街10号,龙亭区,其他人员易聚集场所,,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let (status, page) = upload(&s, &city, &csrf, "应赋码场所.csv", gbk.into_owned()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("6 行，新增 3，更新 0，未导入 3"), "{page}");
    assert!(page.contains("所在辖区：“郑州市”不是开封市的区县") && page.contains("与第4行是同一场所"), "{page}");
    assert!(page.contains("“网吧”不是本系统的场所类型"), "{page}");
    assert!(!page.contains("<script>alert"), "a name is shown escaped");
    // The supermarket has a live code: not listed. The bookshop's code was revoked; the flower
    // shop never registered.
    let listed = missing_rows(&page);
    let names: Vec<&str> = listed.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["鼓楼书店", "龙亭花店"], "{listed:?}");
    assert_eq!(listed[0].1, "已登记，未发码");
    assert_eq!(listed[1].1, "未登记");
    assert!(
        page.contains(
            "data-testid=\"silent-row\"><td class=\"nw\">龙亭区</td><td>农贸市场</td><td>龙亭农贸市场</td><td>王建国</td>"
        ),
        "{page}"
    );
    // Coverage now counts the list: of the two 鼓楼区 shops on it, the supermarket has a code.
    let (_, cov) = get(&s, &city, "/console/coverage").await;
    let r = rows(&cov);
    assert!(
        r.contains(&["鼓楼区", "商场超市", "2", "2", "1", "50%", "1", "1", "2", "1", "50%"].map(String::from).to_vec()),
        "{r:?}"
    );
    assert!(r.iter().any(|r| r[..2] == ["龙亭区", "其他人员易聚集场所"] && r[8..] == ["1", "0", "0%"]), "{r:?}");
    // Contacts are sealed at rest.
    assert_eq!(
        count(&pool, "SELECT count(*) FROM reference_places WHERE contact_phone LIKE '138%' OR contact_name = '李华'")
            .await,
        0
    );

    // A reminder by phone, logged with who and how.
    let id = page.split("/remind\"").next().and_then(|r| r.rsplit('/').next()).unwrap().to_owned();
    let res = city
        .post(s.url(&format!("/console/places/{id}/remind")))
        .header("origin", &s.base)
        .form(&[("csrf", csrf.as_str()), ("how", "phone"), ("note", "已电话通知负责人，约定三日内登记")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = get(&s, &city, "/console/places?reminded").await;
    assert!(page.contains("已记录催办"), "{page}");
    assert!(page.contains("电话 · zhangmin：已电话通知负责人,约定三日内登记"), "{page}");
    assert_eq!(missing_rows(&page)[0].2, "1");
    // A reminder of an unknown kind, or for a place that does not exist: refused.
    let res = city
        .post(s.url(&format!("/console/places/{id}/remind")))
        .header("origin", &s.base)
        .form(&[("csrf", csrf.as_str()), ("how", "carrier-pigeon"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = city
        .post(s.url(&format!("/console/places/{}/remind", uuid::Uuid::now_v7())))
        .header("origin", &s.base)
        .form(&[("csrf", csrf.as_str()), ("how", "phone"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The export: contacts masked by default, in full when asked; both audited.
    let res = city.get(s.url("/console/places.xlsx")).send().await.unwrap();
    let masked = read_sheet(&res.bytes().await.unwrap(), "无码场所");
    assert_eq!(masked[0][..4], ["辖区", "场所类型", "场所名称", "详细地址"].map(String::from));
    assert!(masked.iter().any(|r| r[2] == "鼓楼书店" && r[4] == "李*" && r[5] == "138****0005"), "{masked:?}");
    let res = city.get(s.url("/console/places.xlsx?full=1")).send().await.unwrap();
    let bytes = res.bytes().await.unwrap();
    // Every reminder, with who, how and the note, in a sheet of its own.
    let log = read_sheet(&bytes, "催办记录");
    assert_eq!(log[0], ["时间", "辖区", "场所名称", "方式", "催办人", "说明"].map(String::from).to_vec());
    assert_eq!(
        log[1][2..],
        ["鼓楼书店", "电话", "zhangmin", "已电话通知负责人,约定三日内登记"].map(String::from),
        "{log:?}"
    );
    let full = read_sheet(&bytes, "无码场所");
    assert!(full.iter().any(|r| r[2] == "鼓楼书店" && r[4] == "李华" && r[5] == "13837800005"), "{full:?}");
    let exports: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT params FROM audit_log WHERE action = 'console_export' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(exports.iter().map(|p| p["full"].as_bool()).collect::<Vec<_>>(), [Some(false), Some(true)]);

    // A district's supervisor: their own district only, for the list, the import and reminders.
    let longting = signed_in(&s, "longting.jg", Role::District(District::Longting)).await;
    let (_, page) = get(&s, &longting, "/console/places?district=gulou").await;
    let names: Vec<String> = missing_rows(&page).into_iter().map(|r| r.0).collect();
    assert!(names.iter().all(|n| !n.contains("鼓楼")) && names.contains(&"龙亭花店".to_owned()), "{names:?}");
    let lcsrf = page_csrf(&s, &longting, "/console/places").await;
    let res = longting
        .post(s.url(&format!("/console/places/{id}/remind")))
        .header("origin", &s.base)
        .form(&[("csrf", lcsrf.as_str()), ("how", "phone"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another district's place");
    // Their own list as a spreadsheet: a 鼓楼区 row is refused.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, row) in [
        ["场所名称", "所在辖区", "详细地址"],
        ["龙亭药店", "龙亭区", "北门大街20号"],
        ["鼓楼药店", "鼓楼区", "中山路20号"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let (status, page) = upload(&s, &longting, &lcsrf, "list.xlsx", book.save_to_buffer().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2 行，新增 1，更新 0，未导入 1") && page.contains("不属于您的辖区"), "{page}");
    // A file that is neither: refused whole, nothing saved.
    let before = count(&pool, "SELECT count(*) FROM reference_places").await;
    let (status, page) = upload(&s, &longting, &lcsrf, "x.xlsx", b"PK\x03\x04 not really a zip".to_vec()).await;
    assert_eq!(status, 400);
    assert!(page.contains("无法读取该Excel文件"), "{page}");
    let (status, _) = upload(&s, &longting, "", "list.csv", b"a".to_vec()).await;
    assert_eq!(status, 403, "no token");
    assert_eq!(count(&pool, "SELECT count(*) FROM reference_places").await, before);
    // A list of more than 50,000 rows is refused whole (a city imports district by district).
    let big: String = std::iter::once("场所名称,所在辖区,详细地址\n".to_owned())
        .chain((0..50_001).map(|i| format!("商户{i},龙亭区,北门大街{i}号\n")))
        .collect();
    let (status, page) = upload(&s, &longting, &lcsrf, "big.csv", big.into_bytes()).await;
    assert_eq!(status, 400);
    assert!(page.contains("超过5万行"), "{page}");
    assert_eq!(count(&pool, "SELECT count(*) FROM reference_places").await, before);
    // A tracer has no such page; an address under /console that is no page says so.
    let tracer = signed_in(&s, "liudiao", Role::Tracer).await;
    assert_eq!(get(&s, &tracer, "/console/places").await.0, 403);
    let (status, page) = get(&s, &tracer, "/console/nothing-here").await;
    assert_eq!(status, 404);
    assert!(page.contains("页面不存在") && page.contains("场所码监管平台"), "{page}");
}

fn read_sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let sheet = book.worksheet_range(name).expect("sheet");
    sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The rows of one activity table: (label, green, yellow, red, total).
fn activity_rows(html: &str, chart: &str) -> Vec<Vec<String>> {
    html.split(&format!("data-testid=\"{chart}-row\">"))
        .skip(1)
        .map(|row| {
            row.split("</tr>")
                .next()
                .unwrap_or_default()
                .split("<td")
                .skip(1)
                .map(|c| {
                    c.split_once('>')
                        .map(|x| x.1)
                        .unwrap_or_default()
                        .split("</td>")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

#[sqlx::test]
async fn activity_counts_check_ins_by_hour_day_way_and_area_and_folding_keeps_them(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    venues_in_two_districts(&s).await;
    let desk = s.desk(&["longting"], &[]).await;
    let venue = uuid::Uuid::now_v7();
    let mut v = venue_record(venue, "龙亭小学", placecode_core::venue::CodeKind::General);
    v.body["district"] = serde_json::json!("longting");
    v.body["category"] = serde_json::json!("school");
    v.body["address"] = serde_json::json!("龙亭区北门大街2号");
    let mut red = visit_record(venue, &resident_id(31), "王五", Utc::now() - Duration::days(3));
    red.body["colour"] = serde_json::json!("red");
    red.body["health_code"] = serde_json::json!("red");
    red.body["reasons"] = serde_json::json!(["健康码红码"]);
    let mut manual = visit_record(venue, &resident_id(32), "赵六", Utc::now() - Duration::days(3));
    manual.body["way_in"] = serde_json::json!("manual");
    manual.body["helper"] = serde_json::json!("张老师（工作人员）");
    let res = desk.push(&[v, red, manual]).await;
    assert!(res.results.iter().all(|r| r.status == placecode_core::sync::PushStatus::Stored), "{res:?}");
    let city = signed_in(&s, "zhangmin", Role::City).await;
    for round in ["as appended", "after folding"] {
        let (status, page) = get(&s, &city, "/console/activity").await;
        assert_eq!(status, 200);
        // The last 24 hours: the one check-in at 鼓楼超市 two hours ago.
        let hours = activity_rows(&page, "chart-hours");
        assert_eq!(hours.len(), 24);
        assert_eq!(hours.iter().map(|r| r[4].parse::<i64>().unwrap()).sum::<i64>(), 1, "{round}: {hours:?}");
        // The 14 days: three check-ins, one of them red.
        let days = activity_rows(&page, "chart-days");
        assert_eq!(days.len(), 14);
        let sum = |col: usize| days.iter().map(|r| r[col].parse::<i64>().unwrap()).sum::<i64>();
        assert_eq!((sum(1), sum(2), sum(3), sum(4)), (2, 0, 1, 3), "{round}: {days:?}");
        // By way in and by district, over the week.
        let ways = activity_rows(&page, "chart-ways");
        assert_eq!(
            ways,
            [["手机扫码", "0", "0", "0", "0"], ["登记台", "1", "0", "1", "2"], ["手工登记", "1", "0", "0", "1"]]
                .map(|r| r.map(String::from).to_vec()),
            "{round}"
        );
        let areas = activity_rows(&page, "chart-areas");
        assert_eq!(
            areas,
            [["鼓楼区", "1", "0", "0", "1"], ["龙亭区", "1", "0", "1", "2"]].map(|r| r.map(String::from).to_vec()),
            "{round}"
        );
        assert!(page.contains("<script src=\"/console/assets/echarts.min.js\" nonce="), "{page}");
        placecode_central::console::activity::fold(&pool).await.unwrap();
        assert_eq!(count(&pool, "SELECT count(*) FROM activity_new").await, 0);
    }
    // A district's supervisor sees its categories, not the other district.
    let longting = signed_in(&s, "longting.jg", Role::District(District::Longting)).await;
    let (_, page) = get(&s, &longting, "/console/activity?district=gulou").await;
    let areas = activity_rows(&page, "chart-areas");
    assert_eq!(areas, [["学校及校外培训机构", "1", "0", "1", "2"]].map(|r| r.map(String::from).to_vec()));
    assert_eq!(activity_rows(&page, "chart-hours").iter().map(|r| r[4].parse::<i64>().unwrap()).sum::<i64>(), 0);
    // The four tables as a workbook.
    let res = city.get(s.url("/console/activity.xlsx")).send().await.unwrap();
    let ways = read_sheet(&res.bytes().await.unwrap(), "登记方式");
    assert_eq!(ways[2], ["登记台", "1", "0", "1", "2"].map(String::from).to_vec(), "{ways:?}");
    // The chart library is served from the server itself.
    let res = city.get(s.url("/console/assets/echarts.min.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
}

#[sqlx::test]
async fn trucks_on_the_road_and_open_incidents_are_supervised_by_district(pool: PgPool) {
    use placecode_core::sync::{PushStatus, RecordKind};
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    // A trip from the checkpoint to the logistics park, entered 20 hours ago: overdue (12 h).
    let dest = test_desk(&s, &dir.path().join("d"), "鼓楼物流园", "destination", "鼓楼区五一路8号").await;
    let cp = test_desk(&s, &dir.path().join("c"), "开封东收费站卡口", "checkpoint", "鼓楼区连霍高速开封东出口").await;
    let crew = vec![placecode_core::checkin::TruckDeclarationInput {
        name: "孙建军".into(),
        document_kind: None,
        document_number: resident_id(41),
        plate: "豫B12345".into(),
        phone: "13837841041".into(),
        origin: "郑州市".into(),
        entry_point: "开封东收费站".into(),
        expected_return: String::new(),
        expected_departure: String::new(),
        symptoms: Some(false),
        visited_risk_area: Some(false),
    }];
    let input = placecode_store::TripInput {
        plate: "豫B12345".into(),
        crew,
        pass_number: String::new(),
        destination_id: dest.venue_id.clone(),
        predeclaration_id: None,
        turned_back_checked: false,
    };
    cp.store().open_trip(&input, &cp.ctx).unwrap().trip.expect("the trip opens");
    cp.engine.sync_once().await.unwrap();
    sqlx::query("UPDATE trips SET entered_at = now() - interval '20 hours'").execute(&pool).await.unwrap();
    // A red incident at a 鼓楼区 venue, reported to the community.
    let mut owner = s.desk(&["gulou"], &[]).await;
    let (venue, _) = owner.venue_with_code("鼓楼超市", placecode_core::venue::CodeKind::General).await;
    let incident = record(
        RecordKind::Incident,
        serde_json::json!({"visit_id": uuid::Uuid::now_v7(), "venue_id": venue, "colour": "red", "reason": "风险人员名单为红码",
               "held_at": "东门临时隔离点", "reported_to": "社区", "status": "isolated", "at": Utc::now() - Duration::hours(1)}),
    );
    let step = record(
        RecordKind::IncidentEvent,
        serde_json::json!({"incident_id": incident.id, "venue_id": venue, "status": "reported", "note": "已电话报告社区卫生服务中心", "at": Utc::now()}),
    );
    let res = owner.push(&[incident, step]).await;
    assert!(res.results.iter().all(|r| r.status == PushStatus::Stored), "{res:?}");

    let city = signed_in(&s, "zhangmin", Role::City).await;
    let (status, page) = get(&s, &city, "/console/trucks").await;
    assert_eq!(status, 200);
    let row =
        page.split("data-testid=\"trucks-row\"").nth(1).unwrap_or_default().split("</tr>").next().unwrap_or_default();
    assert!(row.contains("class=\"alert\"") && row.contains("豫B12345") && row.contains("超时未到"), "{row}");
    assert!(row.contains("孙建军 13837841041"), "an overdue crew's phone is there to call: {row}");
    let (status, page) = get(&s, &city, "/console/incidents").await;
    assert_eq!(status, 200);
    let row = page.split("data-testid=\"incidents-row\">").nth(1).unwrap_or_default();
    assert!(
        row.contains("鼓楼超市")
            && row.contains("红码")
            && row.contains("风险人员名单为红码")
            && row.contains("已上报"),
        "{row}"
    );
    assert!(row.contains("已电话报告社区卫生服务中心") && row.contains("东门临时隔离点（上报对象：社区）"), "{row}");
    // Exports: the crew's names and phones masked unless asked for in full; the incident with
    // its steps.
    let res = city.get(s.url("/console/trucks.xlsx")).send().await.unwrap();
    let trips = read_sheet(&res.bytes().await.unwrap(), "行程");
    assert!(trips[1][5].contains("孙** 138****1041") && !trips[1][5].contains("建军"), "{trips:?}");
    let res = city.get(s.url("/console/trucks.xlsx?full=1")).send().await.unwrap();
    let trips = read_sheet(&res.bytes().await.unwrap(), "行程");
    assert!(trips[1][5].contains("孙建军 13837841041"), "{trips:?}");
    let res = city.get(s.url("/console/incidents.xlsx")).send().await.unwrap();
    let rows = read_sheet(&res.bytes().await.unwrap(), "未结的异常处置");
    assert!(rows[1][6].starts_with("已上报") && rows[1][6].contains("已电话报告社区卫生服务中心"), "{rows:?}");
    // Another district's supervisor sees neither the trip nor the incident.
    let longting = signed_in(&s, "longting.jg", Role::District(District::Longting)).await;
    let (_, page) = get(&s, &longting, "/console/trucks?district=gulou").await;
    assert!(!page.contains("豫B12345") && !page.contains("13837841041"), "{page}");
    let (_, page) = get(&s, &longting, "/console/incidents?district=gulou").await;
    assert!(!page.contains("鼓楼超市") && page.contains("没有未结的异常处置"), "{page}");
    // A tracer has neither page; both views are audited.
    let tracer = signed_in(&s, "liudiao", Role::Tracer).await;
    assert_eq!(get(&s, &tracer, "/console/trucks").await.0, 403);
    assert_eq!(get(&s, &tracer, "/console/incidents").await.0, 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE actor = 'console:zhangmin' AND action IN ('supervise_trips', 'console_incidents')").await, 4);
    let full: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT params FROM audit_log WHERE action = 'console_export' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        full.iter()
            .map(|p| (p["table"].as_str().unwrap_or_default().to_owned(), p["full"].as_bool()))
            .collect::<Vec<_>>(),
        [("trucks".to_owned(), Some(false)), ("trucks".to_owned(), Some(true)), ("incidents".to_owned(), Some(false))]
    );
}

/// A fresh district supervisor's browser (龙亭区).
async fn district_of(s: &Server) -> reqwest::Client {
    signed_in(s, &format!("lt{}", &uuid::Uuid::now_v7().simple().to_string()[20..]), Role::District(District::Longting))
        .await
}

/// The console's order form, sent as the browser sends it (`origin` this host unless told).
async fn order(s: &Server, b: &reqwest::Client, csrf: &str, fields: &[(&str, &str)], origin: &str) -> (u16, String) {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let res = b.post(s.url("/console/occupancy/order")).header("origin", origin).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// The (name, inside, max) of the occupancy page's rows.
fn occupancy_rows(html: &str) -> Vec<(String, String, String)> {
    cells(html, "data-testid=\"occupancy-row\"")
        .into_iter()
        .map(|c| (c[2].clone(), c[7].clone(), c[6].clone()))
        .collect()
}

#[sqlx::test]
async fn a_districts_limit_order_is_kept_by_the_phone_page_and_the_desk_and_shown_to_supervisors(pool: PgPool) {
    let s = Server::start(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    // The venue's own limit: 80% of 10, eight at once. Two check in at the desk.
    let (d, mut store, code) = limited_desk(&s, dir.path(), 10, 80, &[9201, 9202]).await;
    // A phone checks 赵强 in: three inside.
    let inside_phone = phone_client();
    let url = s.url(&format!("/c/{code}"));
    let t = form(&inside_phone, &url).await;
    let res = inside_phone.post(&url).form(&declaration(&t, "赵强", &resident_id(9203))).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // 鼓楼区's supervisor sees the venue: three inside, eight allowed.
    let gulou = signed_in(&s, "gulou.order", Role::District(District::Gulou)).await;
    let (status, html) = get(&s, &gulou, "/console/occupancy").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(occupancy_rows(&html), [("鼓楼区便民超市".to_owned(), "3".to_owned(), "8".to_owned())]);
    assert!(html.contains("目前没有限流令"), "{html}");

    // Hostile or mistaken orders: refused with the reason, nothing kept, nothing sent to desks.
    let csrf = page_csrf(&s, &gulou, "/console/occupancy").await;
    let other = order(&s, &gulou, &csrf, &[("scope", "longting"), ("percent", "10")], &s.base).await;
    assert_eq!(other.0, 403, "another district's");
    assert!(other.1.contains("只能对本辖区下达或解除限流令"), "{}", other.1);
    assert_eq!(order(&s, &gulou, &csrf, &[("scope", "city"), ("percent", "10")], &s.base).await.0, 403, "the city's");
    for bad in ["0", "101", "-5", "<script>alert(1)</script>", "三十", "", &"9".repeat(10_000)] {
        let (status, html) = order(&s, &gulou, &csrf, &[("scope", "gulou"), ("percent", bad)], &s.base).await;
        assert_eq!(status, 400, "{bad:?}");
        assert!(html.contains("限流比例（%）：应为1至100") && !html.contains("<script>alert"), "{bad:?}: {html}");
    }
    assert_eq!(order(&s, &gulou, &csrf, &[("scope", "鼓楼区"), ("percent", "30")], &s.base).await.0, 400, "a label");
    assert_eq!(order(&s, &gulou, &csrf, &[("scope", "gulou"), ("percent", "30")], "https://evil.example").await.0, 403);
    assert_eq!(order(&s, &gulou, "forged", &[("scope", "gulou"), ("percent", "30")], &s.base).await.0, 403);
    let tracer = signed_in(&s, "tracer.order", Role::Tracer).await;
    let tracer_csrf = page_csrf(&s, &tracer, "/console/trace").await;
    assert_eq!(order(&s, &tracer, &tracer_csrf, &[("scope", "gulou"), ("percent", "30")], &s.base).await.0, 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM limit_orders").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM changes WHERE kind = 'limit_order'").await, 0);

    // 30% (typed full-width, with its sign): three at once. Audited; the venue is full.
    let (status, _) = order(&s, &gulou, &csrf, &[("scope", "gulou"), ("percent", "３０％")], &s.base).await;
    assert_eq!(status, 303);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'limit_order'").await, 1);
    let (_, html) = get(&s, &gulou, "/console/occupancy?ordered").await;
    assert!(
        html.contains("限流令已下达")
            && html.contains("data-testid=\"order-row\"><td>鼓楼区（区级）</td><td class=\"n\">30%")
            && html.contains("张敏（gulou.order）"),
        "{html}"
    );
    assert_eq!(occupancy_rows(&html), [("鼓楼区便民超市".to_owned(), "3".to_owned(), "3".to_owned())]);
    assert!(html.contains("class=\"alert\"") && html.contains("data-testid=\"count-full\">1<"), "{html}");

    // The phone page keeps it at once: a new person waits; 赵强's phone, scanning again, does not.
    let newcomer = phone_client();
    let t = form(&newcomer, &url).await;
    let res = newcomer.post(&url).form(&declaration(&t, "孙丽", &resident_id(9204))).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("场内3人，限3人"));
    let again = last4(&inside_phone, &url, &resident_id(9203)[14..]).await;
    assert!(again.contains("data-colour=\"green\""), "already inside: not turned away: {again}");

    // The desk keeps it from its next sync: the order shown, the next person refused.
    d.engine.sync_once().await.unwrap();
    let o = store.occupancy(&d.venue_id, Utc::now()).unwrap();
    assert_eq!((o.ordered, o.max_inside, o.full), (Some(30), Some(3), true));
    let e = store
        .declare(
            &declaration_input("周杰", &resident_id(9205)),
            &placecode_store::CheckInContext { now: Utc::now(), ..d.ctx.clone() },
        )
        .unwrap_err();
    assert!(e.to_string().contains("已达限流人数"), "{e}");

    // The city's supervisor sees the order (and may lift it), and gives its own over 鼓楼区
    // (50%): kept apart, so 鼓楼区 can neither loosen nor lift it (refusals audited).
    let city = signed_in(&s, "city.order", Role::City).await;
    let (_, html) = get(&s, &city, "/console/occupancy").await;
    assert!(html.contains("data-testid=\"order-lift\"") && html.contains("确认解除鼓楼区（区级）的限流令"), "{html}");
    let city_csrf = page_csrf(&s, &city, "/console/occupancy").await;
    let given = order(&s, &city, &city_csrf, &[("scope", "city:gulou"), ("percent", "50")], &s.base).await;
    assert_eq!(given.0, 303);
    for fields in [[("scope", "city:gulou"), ("percent", "100")], [("scope", "city:gulou"), ("lift", "1")]] {
        assert_eq!(order(&s, &gulou, &csrf, &fields, &s.base).await.0, 403, "{fields:?}");
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'limit_order_refused'").await,
        5,
        "four beyond the district, one over no scope"
    );
    let (_, html) = get(&s, &gulou, "/console/occupancy").await;
    assert!(html.contains("鼓楼区（市级）") && html.contains("确认解除鼓楼区（区级）的限流令"), "{html}");
    assert_eq!(html.matches("data-testid=\"order-lift\"").count(), 1, "only its own order is 鼓楼区's to lift");

    // 鼓楼区 lifts its own (pressed twice: the second finds nothing, writes nothing): the city's
    // 50% holds at the desk (five at once).
    assert_eq!(order(&s, &gulou, &csrf, &[("scope", "gulou"), ("lift", "1")], &s.base).await.0, 303);
    let again = order(&s, &gulou, &csrf, &[("scope", "gulou"), ("lift", "1")], &s.base).await;
    assert!(again.0 == 400 && again.1.contains("该范围目前没有限流令"), "{}", again.1);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'limit_order_lifted'").await, 1);
    d.engine.sync_once().await.unwrap();
    assert_eq!(store.occupancy(&d.venue_id, Utc::now()).unwrap().ordered, Some(50));
    // The city lifts its own: the desk's own 80% again, at the desk and on the phone.
    assert_eq!(order(&s, &city, &city_csrf, &[("scope", "city:gulou"), ("lift", "1")], &s.base).await.0, 303);
    assert_eq!(count(&pool, "SELECT count(*) FROM limit_orders").await, 0);
    d.engine.sync_once().await.unwrap();
    let o = store.occupancy(&d.venue_id, Utc::now()).unwrap();
    assert_eq!((o.ordered, o.max_inside, o.full), (None, Some(8), false));
    let t = form(&newcomer, &url).await;
    let res = newcomer.post(&url).form(&declaration(&t, "孙丽", &resident_id(9204))).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// A desk that let in someone on the risk list as green (it had never pulled the list: offline,
/// or new) is found out when its visit reaches the centre: the district's 异常处置 page lists the
/// visit (venue, time, the colour held; no personal field), a district user of another district
/// does not see it, and the visit stays as the desk recorded it. A trial's red visitor checked in
/// offline had stayed green after the sync with nobody told.
#[sqlx::test]
async fn a_listed_person_let_in_green_by_a_desk_is_listed_for_the_district(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(pool.clone()).await;
    let desk = test_desk(&s, &dir.path().join("a"), "鼓楼便民超市", "general", "鼓楼区中山路100号").await;
    let (listed, clear) = (resident_id(51), resident_id(52));
    // The desk has no list yet: both come in green.
    let mut ctx = desk.ctx.clone();
    ctx.now = Utc::now();
    for (name, number) in [("钱红", &listed), ("孙绿", &clear)] {
        let r = desk.store().declare(&declaration_input(name, number), &ctx).unwrap();
        assert_eq!(r.colour, placecode_core::decision::Colour::Green);
    }
    placecode_central::risk::import(&pool, &s.keys, format!("{listed},红,密接\n").as_bytes(), false).await.unwrap();
    desk.engine.sync_once().await.unwrap();
    let hits: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("SELECT colour, venue_id FROM late_hits").fetch_all(&pool).await.unwrap();
    assert_eq!(hits.len(), 1, "only the listed one: {hits:?}");
    assert_eq!((hits[0].0.as_str(), hits[0].1.to_string()), ("red", desk.venue_id.clone()));
    let green: i64 = count(&pool, "SELECT count(*) FROM visits WHERE colour = 'green'").await;
    assert_eq!(green, 2, "the visits stay as the desk recorded them");
    // Pushed again (a retry), still once.
    desk.engine.sync_once().await.unwrap();
    assert_eq!(count(&pool, "SELECT count(*) FROM late_hits").await, 1);
    // The desk is told at its pull: 异常处置 lists the visit (masked) until it is reported, with
    // what was done; the sync bar counts it meanwhile.
    let mut store = desk.store();
    let late = store.late_hits().unwrap();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!((late[0].masked_name.as_str(), late[0].colour), ("钱*", placecode_core::decision::Colour::Red));
    assert_eq!(store.sync_status().unwrap().late_waiting, 1);
    let e = store.report_late_hit(&late[0].visit_id, " ", &ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["note"]));
    store.report_late_hit(&late[0].visit_id, "已电话告知中山路社区", &ctx).unwrap();
    let e = store.report_late_hit(&late[0].visit_id, "又报一次", &ctx).unwrap_err();
    assert_eq!((e.code(), e.fields()), ("invalid", vec!["visit"]), "reported once");
    assert_eq!(store.sync_status().unwrap().late_waiting, 0);
    assert_eq!(store.late_hits().unwrap()[0].reported_to.as_deref(), Some("已电话告知中山路社区"));
    drop(store);
    let city = browser();
    let secret = user(&s, "zhangmin", Role::City).await;
    assert_eq!(sign_in(&s, &city, "zhangmin", PASSWORD, &code_now(&secret)).await.0, 303);
    let (status, page) = get(&s, &city, "/console/incidents").await;
    assert_eq!(status, 200);
    assert!(page.contains("data-testid=\"late-hits-table\""), "{page}");
    let row = page.split("data-testid=\"late-hits-row\">").nth(1).unwrap_or_default();
    assert!(row.contains("鼓楼便民超市") && row.contains("鼓楼区") && row.contains("红码"), "{row}");
    assert!(!page.contains("钱") && !page.contains(&listed[10..]), "no personal field on the page");
    let res = city.get(s.url("/console/incidents.xlsx")).send().await.unwrap();
    let rows = read_sheet(&res.bytes().await.unwrap(), "绿码登记的风险人员");
    assert_eq!(rows.len(), 2, "a header and the one visit: {rows:?}");
    assert_eq!((rows[1][2].as_str(), rows[1][3].as_str()), ("鼓楼便民超市", "红码"));
    let longting = browser();
    let secret = user(&s, "longting.jg", Role::District(District::Longting)).await;
    assert_eq!(sign_in(&s, &longting, "longting.jg", PASSWORD, &code_now(&secret)).await.0, 303);
    let (_, page) = get(&s, &longting, "/console/incidents").await;
    assert!(!page.contains("late-hits-row"), "another district's");
}
