//! Every word the phone pages show, in Chinese (the default) and English, in one place: one
//! [`Texts`] per language, so a language cannot miss a text (the compiler says so). A page picks
//! its language with [`Lang::pick`]: `?lang=` (kept in a cookie), then the phone's own language.

/// The relations a person registered on someone else's phone may have to its owner, as they are
/// stored (data, not display: every language shows its own label for each, in this order).
pub const RELATIONS: &[&str] =
    &["父母", "子女", "配偶", "祖父母/外祖父母", "孙子女/外孙子女", "兄弟姐妹", "其他亲属", "朋友/同事", "其他"];
/// The relation of the phone's owner to themselves, as stored.
pub const SELF: &str = "本人";

/// The languages of the phone pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// The cookie that keeps a phone's choice of language.
pub const LANG_COOKIE: &str = "pc_lang";

impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The page's language: a `?lang=` the phone just chose, else the one it chose before (the
    /// cookie), else its own language: Chinese when the phone's most preferred language is
    /// Chinese (or it names none), English otherwise (a visitor whose phone speaks German reads
    /// English better than Chinese).
    pub fn pick(chosen: Option<&str>, headers: &axum::http::HeaderMap) -> Lang {
        if let Some(l) = chosen.and_then(Lang::parse) {
            return l;
        }
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v));
        if let Some(l) = cookie {
            return l;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        // The tag with the highest quality (the first of equals): "de-DE,de;q=0.9,en;q=0.8".
        let best = accept
            .split(',')
            .take(20)
            .filter_map(|part| {
                let mut it = part.split(';');
                let tag = it.next()?.trim().to_ascii_lowercase();
                let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                (!tag.is_empty() && tag != "*" && q > 0.0).then_some((tag, q))
            })
            .fold(None::<(String, f32)>, |best, (tag, q)| match best {
                Some((_, bq)) if bq >= q => best,
                _ => Some((tag, q)),
            });
        match best {
            Some((tag, _)) if !tag.starts_with("zh") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The other language, which every page offers as a link, in its own words.
    pub fn other(self) -> (Lang, &'static str) {
        match self {
            Lang::Zh => (Lang::En, "English"),
            Lang::En => (Lang::Zh, "中文"),
        }
    }
}

use placecode_core::checkin;
use placecode_core::decision::Colour;
use placecode_core::english;
use placecode_core::identity::DocumentKind;
use placecode_core::venue::CodeKind;

/// Every text of the phone pages in one language.
pub struct Texts {
    /// The page's `lang` attribute.
    pub lang: &'static str,
    /// The labels of [`RELATIONS`], in its order.
    pub relations: &'static [&'static str],
    /// How the phone's owner is named in its list of people.
    pub self_label: &'static str,
    /// The other language every page links to: its key and its name in its own words.
    pub other_lang: (&'static str, &'static str),
    /// Between a label and its value ("登记时间：", "Checked in at: "), and between clauses.
    pub colon: &'static str,
    pub comma: &'static str,
    /// The document kinds, in the order of `DocumentKind::ALL`.
    pub document_kinds: [&'static str; 6],
    /// The code kinds: general, checkpoint, destination.
    pub code_kinds: [&'static str; 3],
    /// The colours: green, yellow, red.
    pub colours: [&'static str; 3],
    /// The declaration's questions (R5).
    pub q_visited_risk_area: &'static str,
    pub q_contact: &'static str,
    pub q_temperature_abnormal: &'static str,
    pub q_symptoms: &'static str,
    pub q_risk_area_truck: &'static str,
    /// Who a person is on the phone's list: "{year}" of birth and "{relation}".
    pub born: &'static str,
    pub title: &'static str,
    pub bad_code_title: &'static str,
    pub bad_code_body: &'static str,
    pub unknown_code_body: &'static str,
    pub revoked_title: &'static str,
    pub revoked_body: &'static str,
    /// 扫码屏: a photo of the screen, or a page opened long after the scan.
    pub rotating_expired_title: &'static str,
    pub rotating_expired_body: &'static str,
    /// 扫码屏: a token stamped well ahead of the centre's clock (the desk's clock runs fast).
    pub rotating_early_body: &'static str,
    /// An entrance that takes only its 扫码屏's code, opened from a poster or a saved link.
    pub rotating_only_title: &'static str,
    pub rotating_only_body: &'static str,
    /// On the result page of a check-in made with a live 扫码屏 code.
    pub present_mark: &'static str,
    /// The venue is at its limit (限流): "{n}" inside, "{max}" allowed.
    pub full_title: &'static str,
    pub full_body: &'static str,
    /// Above the form while it waits (or when the page opens at a full venue).
    pub full_wait: &'static str,
    pub rejected_venue_body: &'static str,
    pub slow_down: &'static str,
    pub phone_full: &'static str,
    pub phone_new_ids: &'static str,
    pub address_on_file: &'static str,
    pub address_new_ids: &'static str,
    pub busy_title: &'static str,
    pub busy: &'static str,
    pub timed_out: &'static str,
    pub stale_form: &'static str,
    pub server_error: &'static str,
    pub first_visit: &'static str,
    pub truck_intro: &'static str,
    pub name: &'static str,
    pub id_number: &'static str,
    pub address: &'static str,
    pub phone: &'static str,
    pub phone_optional: &'static str,
    pub temperature: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub document_kind: &'static str,
    pub document_kind_bad: &'static str,
    pub document_number: &'static str,
    pub plate: &'static str,
    pub origin: &'static str,
    pub entry_point: &'static str,
    pub expected_return: &'static str,
    pub expected_departure: &'static str,
    pub submit: &'static str,
    pub submit_predeclaration: &'static str,
    pub declared_at: &'static str,
    pub fix_errors: &'static str,
    pub welcome_back: &'static str,
    pub last4: &'static str,
    pub last4_hint: &'static str,
    pub check_in: &'static str,
    pub add_person: &'static str,
    pub last4_bad: &'static str,
    pub last4_needed: &'static str,
    pub last4_or_tick: &'static str,
    pub who: &'static str,
    pub x_key: &'static str,
    pub sending: &'static str,
    /// On the button while a busy server is waited for (N: the seconds).
    pub waiting: &'static str,
    pub relation: &'static str,
    pub relation_missing: &'static str,
    pub choose: &'static str,
    pub for_other_title: &'static str,
    pub for_other_note: &'static str,
    pub address_hint: &'static str,
    pub expired_title: &'static str,
    pub expired_body: &'static str,
    pub scan_again: &'static str,
    pub result_gone: &'static str,
    pub predeclared: &'static str,
    pub confirm: &'static str,
    pub predeclared_yellow: &'static str,
    pub predeclared_red: &'static str,
    /// A pre-declaration is not a check-in: said under its result.
    pub predeclared_note: &'static str,
    pub destination: &'static str,
    pub destination_other: &'static str,
    pub destination_missing: &'static str,
    pub destination_bad: &'static str,
    pub share_title: &'static str,
    pub share_hint: &'static str,
    pub share_link: &'static str,
    pub shared_note: &'static str,
    pub mixed_say: &'static str,
    pub may_enter: &'static str,
    pub confirm_at_checkpoint: &'static str,
    pub check_at_checkpoint: &'static str,
    pub if_wrong_truck: &'static str,
    pub may_not_enter: &'static str,
    pub if_wrong: &'static str,
    pub supervision_phone: &'static str,
    pub hotline: &'static str,
    pub last4_unknown: &'static str,
    pub green_say: &'static str,
    pub yellow_say: &'static str,
    pub red_say: &'static str,
    pub checked_in_at: &'static str,
    pub live_hint: &'static str,
    pub again: &'static str,
    pub checkpoints_title: &'static str,
    pub checkpoints_intro: &'static str,
    pub checkpoints_none: &'static str,
    pub too_large: &'static str,
    pub last4_shared: &'static str,
}

pub static ZH: Texts = Texts {
    lang: "zh-CN",
    relations: RELATIONS,
    self_label: "本人",
    other_lang: ("en", "English"),
    colon: "：",
    comma: "，",
    document_kinds: [
        DocumentKind::ResidentId.label(),
        DocumentKind::HmtResidencePermit.label(),
        DocumentKind::ForeignPermanentResident.label(),
        DocumentKind::Passport.label(),
        DocumentKind::HkMacaoPermit.label(),
        DocumentKind::TaiwanPermit.label(),
    ],
    code_kinds: ["场所码", "专属场所码·交通卡口", "专属场所码·目的地场所"],
    colours: ["绿码", "黄码", "红码"],
    q_visited_risk_area: checkin::VISITED_RISK_AREA,
    q_contact: checkin::CONTACT,
    q_temperature_abnormal: checkin::TEMPERATURE_ABNORMAL,
    q_symptoms: checkin::SYMPTOMS,
    q_risk_area_truck: checkin::RISK_AREA_TRUCK,
    born: "{year}年生，{relation}",
    title: "场所码登记",
    bad_code_title: "无效的场所码",
    bad_code_body: "这个二维码不是有效的场所码，可能已损坏或被篡改。请扫描场所张贴的正式场所码，或到登记台人工登记。",
    unknown_code_body: "这个场所码未在中心登记或尚未生效。请到登记台人工登记。",
    revoked_title: "此码已停用",
    revoked_body: "这个场所码已停用，请扫描场所张贴的新码，或到登记台人工登记。",
    rotating_expired_title: "此码已过期",
    rotating_expired_body: "扫码屏上的码每隔几十秒更换一次，这张码已过期（转发的截图或照片不能登记）。请在入口现场扫描屏幕上正在显示的码，或到登记台人工登记。",
    rotating_early_body: "扫码屏的时间比中心快了几分钟以上，这张码暂不能使用。请告知工作人员校准登记台电脑的时间，或到登记台人工登记。",
    rotating_only_title: "请扫描现场屏幕上的码",
    rotating_only_body: "本入口只接受现场扫码屏上正在显示的码，张贴的码或保存的链接不能登记。请在入口扫描屏幕上的码，或到登记台人工登记。",
    present_mark: "到场核验：已扫描现场扫码屏",
    full_title: "场内人数已满，请稍候",
    full_body: "本场所正在限流（场内{n}人，限{max}人）。请在入口稍候，有人离场后再登记：返回上一页，已填写的内容仍在，手机会每30秒自动重试。",
    full_wait: "本场所正在限流：场内{n}人，限{max}人。请在入口稍候；提交后手机会自动排队，有人离场即为您登记。",
    rejected_venue_body: "该场所未通过审核，此码不能使用。请到登记台人工登记。",
    slow_down: "操作过于频繁，请稍等片刻再试。",
    phone_full: "本手机已为8人登记过，不能再为更多人登记。请到登记台由工作人员人工登记。",
    phone_new_ids: "本手机今天登记的新证件号已达上限。请到登记台由工作人员人工登记。",
    address_on_file: "您所在的网络今天为已在中心登记过的证件号提交的次数已达上限。请到登记台由工作人员人工登记。",
    address_new_ids: "您所在的网络今天登记的新证件号已达上限。请到登记台由工作人员人工登记。",
    busy_title: "排队中",
    busy: "现在登记的人很多，页面将在5秒后自动重试，请稍候。也可到登记台人工登记。",
    timed_out: "网络太慢，这次没有完成。请重新扫码再试，或到登记台人工登记。",
    stale_form: "页面已过期，请重新扫码后再提交。",
    server_error: "服务器暂时无法处理，请稍后重试，或到登记台人工登记。",
    first_visit: "首次登记请填写以下信息，下次扫码只需输入证件号码后四位。",
    truck_intro: "货车司乘人员请每人填写一份申报。",
    name: "姓名",
    id_number: "证件号码",
    address: "住址",
    phone: "手机号",
    phone_optional: "手机号（选填）",
    temperature: "体温（℃，选填）",
    yes: "是",
    no: "否",
    document_kind: "证件类型",
    document_kind_bad: "证件类型：不在可选范围内，请从列表中选择",
    document_number: "证件号",
    plate: "车牌号",
    origin: "来源地",
    entry_point: "入豫地",
    expected_return: "预计返豫时间（选填）",
    expected_departure: "预计离豫时间（选填）",
    submit: "提交并登记",
    submit_predeclaration: "提交预申报",
    declared_at: "申报时间",
    fix_errors: "请修改标红的内容后再提交：",
    welcome_back: "欢迎再次登记",
    last4: "证件号后四位",
    last4_hint: "输入本机登记过的人的证件号码后四位",
    check_in: "登记",
    add_person: "为其他人登记（如老人、儿童）",
    last4_bad: "证件号后四位：应为证件号码的最后4位，数字或字母（身份证最后一位可为X，可点X键输入）",
    last4_needed: "请输入其中一人的证件号码后四位；勾选了本人时可以不输入",
    last4_or_tick: "输入其中一人的证件号码后四位，或勾选要登记的人（勾选了本人时可以不输入后四位）",
    who: "要登记的人（可多选）",
    x_key: "输入字母X",
    sending: "提交中…",
    waiting: "排队中，N秒后自动重试…",
    relation: "与本机机主的关系",
    relation_missing: "与本机机主的关系：请选择",
    choose: "请选择",
    for_other_title: "为他人登记",
    for_other_note: "请填写被登记人（如老人、儿童）的信息。登记后，下次扫码可勾选此人一起登记。",
    address_hint: "写明路、街或村，以及门牌号或小区，如“鼓楼区中山路18号院”",
    expired_title: "此登记结果已过期",
    expired_body: "登记结果只在登记后几分钟内有效。进门时请重新扫码，向工作人员出示实时结果。",
    scan_again: "重新登记",
    result_gone: "登记结果只在本机保留一天。请重新扫码登记。",
    predeclared: "已预申报 · 到卡口报车牌 ",
    confirm: " 确认",
    predeclared_yellow: "已预申报 · 黄码：到达卡口时主动向工作人员出示此页、报车牌 {plate}，听从安排；途中不要下车停留",
    predeclared_red:
        "已预申报 · 红码：请立即拨打12345报告；到达卡口时向工作人员出示此页、报车牌 {plate}，听从安排；途中不要下车停留",
    predeclared_note: "这是预申报，还不是登记：到达卡口后由工作人员核对车牌和人员并确认，确认后才记入行程。",
    destination: "目的地场所",
    destination_other: "不在列表中（到卡口告诉工作人员）",
    destination_missing: "目的地场所：请选择；列表中没有时选“不在列表中”",
    destination_bad: "目的地场所：不在列表中，请重新选择",
    share_title: "同车人员申报",
    share_hint:
        "同车的其他人员请用自己的手机扫下面的码（或打开此链接）申报：车牌、来源地、入豫地和目的地已填好。一天内有效。",
    share_link: "同车人员申报链接",
    shared_note: "已带入同车人员申报的车牌、来源地、入豫地和目的地，请核对并填写本人信息。",
    mixed_say: "部分人员不能进入：请看下方每人的颜色，不能进入的人请到登记台，按工作人员指引等候",
    may_enter: "可以进入",
    confirm_at_checkpoint: "到卡口报车牌确认",
    check_at_checkpoint: "到卡口听从安排",
    if_wrong_truck: "如对结果有疑问：到达卡口时向工作人员说明，由其核实后处理。",
    may_not_enter: "不能进入",
    if_wrong: "如对结果有疑问：请向现场工作人员说明，由其核实后处理，请勿自行离开。",
    supervision_phone: "场所监督电话 ",
    hotline: "也可拨打12345政务服务便民热线。",
    last4_unknown: "证件号后四位：本机没有登记过这个人，请核对，或为其他人登记",
    green_say: "通行",
    yellow_say: "请勿进入，请到登记台出示此页，按工作人员指引就地等候核验",
    red_say: "禁止进入。请原地等候，工作人员将安排隔离并上报",
    checked_in_at: "登记时间",
    live_hint: "页面时间实时走动，截图无效",
    again: "返回",
    checkpoints_title: "交通卡口专属场所码",
    checkpoints_intro: "货车司乘人员可在到达卡口前打开对应卡口的码，提前完成申报；到达后向工作人员报车牌号确认。",
    checkpoints_none: "暂无已发布的卡口码。",
    too_large: "提交的内容过长，请返回重新填写。",
    last4_shared: "证件号后四位：本机有不止一人是这四位，请在下面勾选要登记的人",
};

pub static EN: Texts = Texts {
    lang: "en",
    relations: &["Parent", "Child", "Spouse", "Grandparent", "Grandchild", "Brother or sister", "Other relative", "Friend or colleague", "Other"],
    self_label: "Self",
    other_lang: ("zh", "中文"),
    colon: ": ",
    comma: ". ",
    document_kinds: [
        english::document_kind_en(DocumentKind::ResidentId),
        english::document_kind_en(DocumentKind::HmtResidencePermit),
        english::document_kind_en(DocumentKind::ForeignPermanentResident),
        english::document_kind_en(DocumentKind::Passport),
        english::document_kind_en(DocumentKind::HkMacaoPermit),
        english::document_kind_en(DocumentKind::TaiwanPermit),
    ],
    code_kinds: ["Venue code", "Exclusive venue code · traffic checkpoint", "Exclusive venue code · destination"],
    colours: ["Green", "Yellow", "Red"],
    q_visited_risk_area: "Have you been to an area with a serious outbreak?",
    q_contact: "Have you been in contact with a suspected case?",
    q_temperature_abnormal: "Is your temperature abnormal?",
    q_symptoms: "Do you have a fever or a cough?",
    q_risk_area_truck: "Have you been to a medium- or high-risk area?",
    born: "born {year}, {relation}",
    title: "Venue code check-in",
    bad_code_title: "Invalid venue code",
    bad_code_body: "This QR code is not a valid venue code: it may be damaged or altered. Please scan the official venue code posted at the venue, or register at the check-in desk.",
    unknown_code_body: "This venue code is not registered with the centre or not in use yet. Please register at the check-in desk.",
    revoked_title: "This code is no longer in use",
    revoked_body: "This venue code has been withdrawn. Please scan the new code posted at the venue, or register at the check-in desk.",
    rotating_expired_title: "This code has expired",
    rotating_expired_body: "The code on the entrance screen changes every few seconds and this one has expired (a forwarded screenshot or photo cannot be used). Please scan the code the screen shows now at the entrance, or register at the check-in desk.",
    rotating_early_body: "The entrance screen's clock is several minutes ahead of the centre's, so this code cannot be used yet. Please tell the staff to set the desk computer's time, or register at the check-in desk.",
    rotating_only_title: "Please scan the code on the screen",
    rotating_only_body: "This entrance only takes the code shown on its screen now; a posted code or a saved link cannot be used. Please scan the code on the screen at the entrance, or register at the check-in desk.",
    present_mark: "Present: scanned the entrance screen",
    full_title: "The venue is full: please wait",
    full_body: "This venue is limiting entry ({n} inside, limit {max}). Please wait at the entrance until someone leaves: go back to the form, which keeps what you typed; the phone tries again every 30 seconds.",
    full_wait: "This venue is limiting entry: {n} inside, limit {max}. Please wait at the entrance; once you submit, the phone queues by itself and checks you in as soon as someone leaves.",
    rejected_venue_body: "This venue did not pass review, so its code cannot be used. Please register at the check-in desk.",
    slow_down: "Too many tries. Please wait a moment and try again.",
    phone_full: "This phone has already registered 8 people and cannot register more. Please ask the staff at the check-in desk to register you.",
    phone_new_ids: "This phone has registered as many new document numbers today as it may. Please ask the staff at the check-in desk to register you.",
    address_on_file: "Your network has sent document numbers already on file as often as it may today. Please ask the staff at the check-in desk to register you.",
    address_new_ids: "Your network has registered as many new document numbers today as it may. Please ask the staff at the check-in desk to register you.",
    busy_title: "Please wait",
    busy: "Many people are checking in right now. The page will try again by itself in 5 seconds. You may also register at the check-in desk.",
    timed_out: "The network was too slow and this did not finish. Please scan the code again, or register at the check-in desk.",
    stale_form: "This page has expired. Please scan the code again before sending.",
    server_error: "The server cannot handle this right now. Please try again later, or register at the check-in desk.",
    first_visit: "First visit: please fill in the form below. Next time you only need the last four characters of your document number.",
    truck_intro: "Each member of a truck crew fills in their own declaration.",
    name: "Name (as on your document)",
    id_number: "Document number",
    address: "Address in Kaifeng (or where you stay)",
    phone: "Mobile number",
    phone_optional: "Mobile number (optional)",
    temperature: "Temperature (℃, optional)",
    yes: "Yes",
    no: "No",
    document_kind: "Document type",
    document_kind_bad: "Document type: not one of the choices, please choose from the list",
    document_number: "Document number",
    plate: "Plate number",
    origin: "Coming from",
    entry_point: "Where you entered Henan",
    expected_return: "Expected return to Henan (optional)",
    expected_departure: "Expected departure from Henan (optional)",
    submit: "Send and check in",
    submit_predeclaration: "Send pre-declaration",
    declared_at: "Declared at",
    fix_errors: "Please correct the fields marked in red, then send again:",
    welcome_back: "Welcome back",
    last4: "Last four characters of the document number",
    last4_hint: "Type the last four characters of the document number of someone registered on this phone",
    check_in: "Check in",
    add_person: "Register someone else (an elderly person, a child)",
    last4_bad: "Last four: type the last 4 characters of the document number, digits or letters (a resident ID may end in X: use the X key)",
    last4_needed: "Type the last four of one of them; not needed when you ticked yourself",
    last4_or_tick: "Type the last four of one of them, or tick the people to check in (no last four needed when you tick yourself)",
    who: "Who is checking in (tick all that apply)",
    x_key: "Type the letter X",
    sending: "Sending…",
    waiting: "Waiting in line, trying again in N s…",
    relation: "Relation to this phone's owner",
    relation_missing: "Relation to this phone's owner: please choose",
    choose: "Please choose",
    for_other_title: "Register someone else",
    for_other_note: "Fill in the details of the person you register (an elderly person, a child). Next time you can tick them to check in together.",
    address_hint: "Give the road, street or village and the house number or compound, e.g. “鼓楼区中山路18号院”",
    expired_title: "This result has expired",
    expired_body: "A result is valid for a few minutes after check-in only. Please scan again at the entrance and show the live result to the staff.",
    scan_again: "Check in again",
    result_gone: "Results are kept on this phone for one day only. Please scan the code again.",
    predeclared: "Pre-declared · at the checkpoint, give the plate ",
    confirm: " to confirm",
    predeclared_yellow: "Pre-declared · yellow: at the checkpoint, show this page to the staff, give the plate {plate} and follow their instructions; do not stop on the way",
    predeclared_red: "Pre-declared · red: call 12345 now to report; at the checkpoint, show this page to the staff, give the plate {plate} and follow their instructions; do not stop on the way",
    predeclared_note: "This is a pre-declaration, not yet a check-in: at the checkpoint the staff check the plate and the crew and confirm it; only then is it recorded as a trip.",
    destination: "Destination venue",
    destination_other: "Not in the list (tell the staff at the checkpoint)",
    destination_missing: "Destination venue: please choose; if it is not in the list, choose “Not in the list”",
    destination_bad: "Destination venue: not in the list, please choose again",
    share_title: "Declaration for the rest of the crew",
    share_hint: "The others in the truck scan the code below with their own phones (or open this link) to declare: the plate, origin, entry point and destination are filled in. Valid for one day.",
    share_link: "Link for the rest of the crew",
    shared_note: "The plate, origin, entry point and destination from your crew's declaration are filled in: please check them and add your own details.",
    mixed_say: "Some of you may not enter: see each person's colour below. Those who may not enter go to the check-in desk and wait as the staff direct",
    may_enter: "May enter",
    confirm_at_checkpoint: "Give the plate at the checkpoint to confirm",
    check_at_checkpoint: "Follow the staff's instructions at the checkpoint",
    if_wrong_truck: "If you think the result is wrong: tell the staff at the checkpoint, who will check it.",
    may_not_enter: "May not enter",
    if_wrong: "If you think the result is wrong: tell the staff here, who will check it. Please do not leave on your own.",
    supervision_phone: "Venue supervision phone ",
    hotline: "You may also call the 12345 government service hotline.",
    last4_unknown: "Last four: nobody with these is registered on this phone; please check, or register someone else",
    green_say: "You may enter",
    yellow_say: "Do not enter: show this page at the check-in desk and wait there as the staff direct",
    red_say: "Entry refused. Please wait where you are: the staff will arrange isolation and report",
    checked_in_at: "Checked in at",
    live_hint: "The time on this page runs live: a screenshot is not valid",
    again: "Back",
    checkpoints_title: "Exclusive venue codes of the traffic checkpoints",
    checkpoints_intro: "Truck crews can open the code of their checkpoint before arriving and declare in advance; at the checkpoint, give the plate number to the staff to confirm.",
    checkpoints_none: "No checkpoint codes are published yet.",
    too_large: "What was sent is too long. Please go back and fill in the form again.",
    last4_shared: "Last four: more than one person on this phone has these; please tick the people to check in below",
};

impl Texts {
    /// Every single text, for the test that no language misses one or leaves one empty.
    pub fn all(&self) -> Vec<&'static str> {
        let mut v = vec![
            self.lang,
            self.self_label,
            self.q_visited_risk_area,
            self.q_contact,
            self.q_temperature_abnormal,
            self.q_symptoms,
            self.q_risk_area_truck,
            self.born,
            self.title,
            self.bad_code_title,
            self.bad_code_body,
            self.unknown_code_body,
            self.revoked_title,
            self.revoked_body,
            self.rotating_expired_title,
            self.rotating_expired_body,
            self.rotating_early_body,
            self.rotating_only_title,
            self.rotating_only_body,
            self.present_mark,
            self.full_title,
            self.full_body,
            self.full_wait,
            self.rejected_venue_body,
            self.slow_down,
            self.phone_full,
            self.phone_new_ids,
            self.address_on_file,
            self.address_new_ids,
            self.busy_title,
            self.busy,
            self.timed_out,
            self.stale_form,
            self.server_error,
            self.first_visit,
            self.truck_intro,
            self.name,
            self.id_number,
            self.address,
            self.phone,
            self.phone_optional,
            self.temperature,
            self.yes,
            self.no,
            self.document_kind,
            self.document_kind_bad,
            self.document_number,
            self.plate,
            self.origin,
            self.entry_point,
            self.expected_return,
            self.expected_departure,
            self.submit,
            self.submit_predeclaration,
            self.declared_at,
            self.fix_errors,
            self.welcome_back,
            self.last4,
            self.last4_hint,
            self.check_in,
            self.add_person,
            self.last4_bad,
            self.last4_needed,
            self.last4_or_tick,
            self.who,
            self.x_key,
            self.sending,
            self.waiting,
            self.relation,
            self.relation_missing,
            self.choose,
            self.for_other_title,
            self.for_other_note,
            self.address_hint,
            self.expired_title,
            self.expired_body,
            self.scan_again,
            self.result_gone,
            self.predeclared,
            self.confirm,
            self.predeclared_yellow,
            self.predeclared_red,
            self.predeclared_note,
            self.destination,
            self.destination_other,
            self.destination_missing,
            self.destination_bad,
            self.share_title,
            self.share_hint,
            self.share_link,
            self.shared_note,
            self.mixed_say,
            self.may_enter,
            self.confirm_at_checkpoint,
            self.check_at_checkpoint,
            self.if_wrong_truck,
            self.may_not_enter,
            self.if_wrong,
            self.supervision_phone,
            self.hotline,
            self.last4_unknown,
            self.green_say,
            self.yellow_say,
            self.red_say,
            self.checked_in_at,
            self.live_hint,
            self.again,
            self.checkpoints_title,
            self.checkpoints_intro,
            self.checkpoints_none,
            self.too_large,
            self.last4_shared,
        ];
        v.extend(self.relations);
        v.extend(self.document_kinds);
        v.extend(self.code_kinds);
        v.extend(self.colours);
        v.extend([self.other_lang.0, self.other_lang.1, self.colon, self.comma]);
        v
    }
}

impl Texts {
    pub fn document_kind(&self, k: DocumentKind) -> &'static str {
        let i = DocumentKind::ALL.iter().position(|d| *d == k).unwrap_or(0);
        self.document_kinds.get(i).copied().unwrap_or_default()
    }

    pub fn code_kind(&self, k: CodeKind) -> &'static str {
        let i = CodeKind::ALL.iter().position(|c| *c == k).unwrap_or(0);
        self.code_kinds.get(i).copied().unwrap_or_default()
    }

    pub fn colour(&self, c: Colour) -> &'static str {
        let i = match c {
            Colour::Green => 0,
            Colour::Yellow => 1,
            Colour::Red => 2,
        };
        self.colours.get(i).copied().unwrap_or_default()
    }

    /// A stored relation ([`RELATIONS`], [`SELF`]) in this language; anything else as it is.
    pub fn relation<'a>(&self, stored: &'a str) -> &'a str {
        if stored == SELF {
            return self.self_label;
        }
        RELATIONS.iter().position(|r| *r == stored).and_then(|i| self.relations.get(i).copied()).unwrap_or(stored)
    }

    /// Who a person is on the phone's list: birth year (when the document carries one) and relation.
    pub fn who(&self, year: Option<i32>, relation: &str) -> String {
        match year {
            Some(y) => self.born.replace("{year}", &y.to_string()).replace("{relation}", self.relation(relation)),
            None => self.relation(relation).to_owned(),
        }
    }

    /// Who a person is, as a result kept it ("1942年生，父母" or "本人"), in this language.
    pub fn translated_who(&self, kept: &str) -> String {
        match kept.split_once("年生，") {
            Some((year, relation)) => match year.parse::<i32>() {
                Ok(y) => self.who(Some(y), relation),
                Err(_) => kept.to_owned(),
            },
            None => self.relation(kept).to_owned(),
        }
    }

    /// A reason the core gave (in Chinese), in this language: the decision's reasons and the
    /// fields' reasons the phone pages show. Chinese as it is; in English, the known ones
    /// translated and any other shown after an English lead, so nothing is lost.
    pub fn reason(&self, zh: &str) -> String {
        if self.lang != "en" {
            return zh.to_owned();
        }
        // The pages' own reasons, kept in Chinese with the form and shown in the page's language;
        // the rules' reasons by the core's table.
        let own = [
            (ZH.relation_missing, EN.relation_missing),
            (ZH.document_kind_bad, EN.document_kind_bad),
            (ZH.destination_missing, EN.destination_missing),
            (ZH.destination_bad, EN.destination_bad),
            (ZH.destination_other, EN.destination_other),
            (ZH.last4_needed, EN.last4_needed),
            (ZH.last4_bad, EN.last4_bad),
            (ZH.last4_unknown, EN.last4_unknown),
            (ZH.last4_shared, EN.last4_shared),
        ];
        match own.iter().find(|(z, _)| *z == zh) {
            Some((_, en)) => (*en).to_owned(),
            None => placecode_core::english::english(zh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderMap, HeaderValue};

    /// Both languages have every text (the type says so), none empty, with the same
    /// placeholders, and as many relations as are stored.
    #[test]
    fn every_text_in_both_languages() {
        let (zh, en) = (ZH.all(), EN.all());
        assert_eq!(zh.len(), en.len());
        for (z, e) in zh.iter().zip(&en) {
            assert!(!z.trim().is_empty() && !e.trim().is_empty(), "{z:?} / {e:?}");
            for p in ["{plate}", "{year}", "{relation}"] {
                assert_eq!(z.contains(p), e.contains(p), "{p} in {z:?} / {e:?}");
            }
            // English text has no Chinese, except the address example it quotes.
            if !e.contains('“') && *e != "中文" {
                assert!(!e.chars().any(placecode_core::validate::is_han), "{e:?}");
            }
        }
        assert_eq!(ZH.relations.len(), RELATIONS.len());
        assert_eq!(EN.relations.len(), RELATIONS.len());
        assert!(ZH.waiting.contains('N') && EN.waiting.contains('N'), "the seconds the script fills in");
    }

    fn headers(accept: Option<&str>, cookie: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = accept {
            h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(a).unwrap());
        }
        if let Some(c) = cookie {
            h.insert(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn the_page_speaks_the_phones_language_or_the_one_chosen() {
        let pick = |accept, cookie, chosen| Lang::pick(chosen, &headers(accept, cookie));
        assert_eq!(pick(None, None, None), Lang::Zh, "no preference: Chinese");
        assert_eq!(pick(Some("zh-CN,zh;q=0.9,en;q=0.8"), None, None), Lang::Zh);
        assert_eq!(pick(Some("en-US,en;q=0.9"), None, None), Lang::En);
        assert_eq!(pick(Some("de-DE,de;q=0.9,en;q=0.8"), None, None), Lang::En, "a German phone reads English");
        assert_eq!(pick(Some("en;q=0.5,zh-TW;q=0.9"), None, None), Lang::Zh, "by quality, not order");
        assert_eq!(pick(Some("*"), None, None), Lang::Zh);
        assert_eq!(pick(Some("xx;q=abc,,;;"), None, None), Lang::En, "garbage is no Chinese");
        assert_eq!(pick(Some("zh-CN"), Some("pc_phone=x; pc_lang=en"), None), Lang::En, "the cookie wins");
        assert_eq!(pick(Some("en"), Some("pc_lang=zh"), None), Lang::Zh);
        assert_eq!(pick(Some("en"), Some("pc_lang=<script>"), None), Lang::En, "an unknown cookie is ignored");
        assert_eq!(pick(Some("zh"), Some("pc_lang=zh"), Some("en")), Lang::En, "the choice just made wins");
        assert_eq!(pick(Some("zh"), None, Some("fr")), Lang::Zh, "an unknown choice is ignored");
        let long = "en;q=0.1,".repeat(2000) + "zh";
        assert_eq!(pick(Some(&long), None, None), Lang::En, "only the first tags are read");
    }

    #[test]
    fn reasons_in_the_pages_language() {
        // The rules' reasons by the core's table (`placecode_core::english`), the pages' own here.
        assert_eq!(EN.reason("身份证号：必填"), "ID number: required");
        assert_eq!(EN.reason(ZH.last4_unknown), EN.last4_unknown);
        assert_eq!(EN.reason(ZH.document_kind_bad), EN.document_kind_bad);
        assert_eq!(ZH.reason("身份证号：必填"), "身份证号：必填", "Chinese as it is");
        assert_eq!(EN.translated_who("1942年生，父母"), "born 1942, Parent");
        assert_eq!(EN.translated_who("本人"), "Self");
        assert_eq!(ZH.translated_who("1942年生，父母"), "1942年生，父母");
        assert_eq!(EN.translated_who("<b>"), "<b>", "anything else as kept (escaped where shown)");
    }
}
