//! The rules' reasons in English, for the pages and screens that speak it (the phone pages, the
//! desk set to English): one table beside the rules that write them, so a reason is translated
//! the same everywhere. The rules themselves answer in Chinese.

use crate::identity::DocumentKind;

/// A document kind's name in English.
pub const fn document_kind_en(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::ResidentId => "Resident ID card (China)",
        DocumentKind::HmtResidencePermit => "Residence permit for Hong Kong, Macao and Taiwan residents",
        DocumentKind::ForeignPermanentResident => "Foreign permanent resident ID card",
        DocumentKind::Passport => "Passport",
        DocumentKind::HkMacaoPermit => "Mainland travel permit for Hong Kong and Macao residents",
        DocumentKind::TaiwanPermit => "Mainland travel permit for Taiwan residents",
        DocumentKind::ChildWithGuardian => "Child without a document (with a guardian)",
    }
}

/// A release's reason (the desk's 不上报 choices) in English.
pub const fn release_reason_en(r: crate::checkin::ReleaseReason) -> &'static str {
    match r {
        crate::checkin::ReleaseReason::Misscan => "Wrong scan (wrong person or document)",
        crate::checkin::ReleaseReason::VerifiedByStaff => "Let through after staff checked",
        crate::checkin::ReleaseReason::Other => "Other",
    }
}

/// A colour as a reason names it (红码), in English (red); anything else as it is.
fn colour_en(zh: &str) -> &str {
    match crate::decision::Colour::parse(zh) {
        Some(c) => c.key(),
        None => zh,
    }
}

/// "Label: reason", the reason looked up or translated; one not known keeps its Chinese.
fn label_reason(label: &str, why: &str) -> String {
    match english(why) {
        r if r.starts_with("Please check") => format!("{label}: please check ({why})"),
        r => format!("{label}: {r}"),
    }
}

/// A reason the rules gave (in Chinese), in English. A field's reason is "标签：原因" (a person's
/// in a group "第2位：标签：原因"): the label and the reason are each looked up; what is not known
/// keeps its Chinese after an English lead, so nothing is lost.
pub fn english(zh: &str) -> String {
    const LABELS: &[(&str, &str)] = &[
        ("PIN", "PIN"),
        ("新PIN", "New PIN"),
        ("码的类型", "Code type"),
        ("场所类型", "Venue type"),
        ("场所名称", "Venue name"),
        ("所在辖区", "District"),
        ("详细地址", "Address"),
        ("负责人姓名", "Manager's name"),
        ("联系电话", "Phone"),
        ("监护人姓名", "Guardian's name"),
        ("监护人电话", "Guardian's phone"),
        ("监护人证件号码", "Guardian's document number"),
        ("监护人身份", "Relation to the guardian"),
        ("说明", "Note"),
        ("未安装", "Not installed"),
        ("颜色", "Colour"),
        ("入口名称", "Entrance"),
        ("界面语言", "Language"),
        ("临时隔离点", "Temporary isolation point"),
        ("上报对象", "Reported to"),
        ("服务器地址", "Centre address"),
        ("接入码", "Enrol token"),
        ("无操作自动退出", "Sign out when idle"),
        ("保存期限", "Retention period"),
        ("当前PIN", "Current PIN"),
        ("公共网址", "Public web address"),
        ("监督电话", "Supervision phone"),
        ("目的地场所", "Destination venue"),
        ("司乘人员", "Crew"),
        ("风险名单", "Risk list"),
        ("风险名单有效期", "Risk list validity"),
        ("版本号", "Version"),
        ("更新说明", "Release notes"),
        ("场所码", "Venue code"),
        ("检查更新失败", "Checking for updates failed"),
        ("预计离豫时间", "Expected departure from Henan"),
        ("预计返豫时间", "Expected return to Henan"),
        ("身份证后四位", "Last four"),
        ("姓名", "Name"),
        ("证件号码", "Document number"),
        ("身份证号", "ID number"),
        ("居住证号码", "Residence permit number"),
        ("永居证号码", "Permanent residence card number"),
        ("护照号码", "Passport number"),
        ("港澳通行证号码", "Travel permit number"),
        ("台胞证号码", "Travel permit number"),
        ("住址", "Address"),
        ("手机号", "Mobile number"),
        ("体温", "Temperature"),
        ("证件类型", "Document type"),
        ("核定容量（人）", "Capacity (people)"),
        ("作废原因", "Reason for revoking"),
        ("限流比例（%）", "Share allowed (%)"),
        ("自动离场时间（分钟）", "Counted out after (minutes)"),
        ("证件号后四位", "Last four"),
        ("出生日期", "Date of birth"),
        ("离场", "Leaving"),
        ("登记表", "Form"),
        ("搜索", "Search"),
        ("车牌号", "Plate number"),
        ("来源地", "Coming from"),
        ("入豫地", "Where you entered Henan"),
        (crate::checkin::VISITED_RISK_AREA, "Been to an area with a serious outbreak"),
        (crate::checkin::CONTACT, "Contact with a suspected case"),
        (crate::checkin::TEMPERATURE_ABNORMAL, "Abnormal temperature"),
        (crate::checkin::SYMPTOMS, "Fever or cough"),
        (crate::checkin::RISK_AREA_TRUCK, "Been to a medium- or high-risk area"),
    ];
    const REASONS: &[(&str, &str)] = &[
        (crate::checkin::NAME_UNKNOWN, "(name not registered)"),
        (crate::checkin::BY_OPERATOR, "the operator"),
        ("应为6至12位数字", "6 to 12 digits"),
        ("太容易猜到（同一数字或连续数字），请换一个", "too easy to guess (one digit repeated, or a run): choose another"),
        (crate::risk::UNCONFIRMED, "A possible match that could not be confirmed with the centre: check with the epidemic office before acting"),
        (crate::risk::LOCAL_MATCH, "A possible match (a list imported on this desk): check with the epidemic office before acting"),
        ("只写了辖区，请写明路、街或村，以及门牌号或标志性建筑", "only the district is given: add the road, street or village and a house number or landmark"),
        ("缺少路、街、村等位置信息，无法找到这个地址", "no road, street or village: nobody could find this address (e.g. 18 Zhongshan Road)"),
        ("缺少门牌号或标志性建筑（如“中山路18号”“某某小区东门”）", "no house number or landmark (e.g. 18 Zhongshan Road, a hotel's name)"),
        ("不是有效的手机号（11位，以1开头）", "not a mainland China mobile number (11 digits beginning with 1); leave it empty if you have none"),
        ("不是有效的手机号（第二位应为3至9）", "not a mainland China mobile number (the second digit is 3 to 9)"),
        ("不是开封的固定电话（区号应为0371）", "not a Kaifeng landline (the area code is 0371)"),
        ("开封固定电话应为0371加8位号码", "a Kaifeng landline is 0371 and 8 digits"),
        ("请填写11位手机号或0371开头的固定电话", "an 11-digit mobile number or a landline beginning 0371"),
        ("号码过长", "too long"),
        ("不能含有空格", "must not contain spaces"),
        ("含有不可见的控制字符", "contains an invisible control character"),
        ("港澳通行证号码应为H或M加8位（或10位）数字", "H or M and 8 digits (10 with the renewal count)"),
        ("台湾居民通行证号码应为8位数字（连同换证次数为10位）", "8 digits (10 with the renewal count)"),
        ("中国护照号码为E加8位数字，或E、一个字母（I、O除外）加7位数字", "a Chinese passport is E and 8 digits, or E, a letter (not I or O) and 7 digits"),
        ("这是身份证号码的样式，请在证件类型中选择居民身份证（或居住证、永居证）", "this looks like a Chinese ID number: choose the resident ID card (or a residence permit or permanent resident card) as the document type"),
        (crate::checkin::CHILD_NEEDS_GUARDIAN, "a child without a document is registered by a guardian who shows their own: choose “Guardian, on their behalf” as who registers them"),
        ("必填（如 2018-05-12）", "required (e.g. 2018-05-12)"),
        ("应为年-月-日，如 2018-05-12", "year-month-day, e.g. 2018-05-12"),
        ("年份请写4位，如 2019-03-04", "the year in 4 digits, e.g. 2019-03-04"),
        ("不能在今天之后", "must not be in the future"),
        ("出生日期在今天之后", "the date of birth is in the future"),
        ("已满16周岁，应出示本人证件", "16 or older: show their own document"),
        ("18位永居证号码以9开头", "an 18-digit permanent residence card number begins with 9"),
        ("15位永居证号码应为3个字母（国籍）加12位数字", "3 letters (the nationality) and 12 digits"),
        ("第2、3位不是有效的受理地省份代码", "digits 2 and 3 are not a province"),
        ("第4、5位不是有效的受理地省份代码", "digits 4 and 5 are not a province"),
        ("出生日期不存在（第8至13位）", "the date of birth (characters 8 to 13) does not exist"),
        ("港澳台居民居住证号码应以810000（香港）、820000（澳门）或830000（台湾）开头", "begins with 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan)"),
        ("应为证件号码的最后4位（数字或字母）", "the last 4 characters of the document number (digits or letters)"),
        ("必填", "required"),
        (
            "只收扫码屏：只适用于一般场所的入口；交通卡口和目的地的码要供货车司乘人员提前申报和扫码",
            "Screen only: for the entrances of general venues only; a checkpoint's and a destination's codes are for truck crews to declare ahead and scan",
        ),
        ("请输入证件号码或后四位", "enter a document number or its last four"),
        ("证件号码过长", "the document number is too long"),
        ("请输入完整证件号码或证件号码后四位", "enter the whole document number or its last four"),
        ("场内没有这位来客（未登记入场、已离场或已超过停留时间）", "nobody inside has this number (never checked in, already left, or counted out after the stay)"),
        ("尚未设置本台服务场所：请在“场所列表”中设置", "this desk serves no venue yet: set one in the venue list"),
        ("该场所码已作废", "this code has been revoked"),
        (
            "该场所码已作废：请在登记台的场所码页面为新码打开扫码屏",
            "this code has been revoked: open the code screen of its new code from the venue's codes",
        ),
        ("扫码屏尚未打开：请在登记台的场所码页面打开", "the code screen is not open yet: open it from a venue's codes"),
        ("请选择“是”或“否”", "please choose Yes or No"),
        ("校验位不对，请核对号码是否输错", "the check character does not match: please check the number"),
        ("至少2个字", "at least 2 characters"),
        ("至少2个字母", "at least 2 letters"),
        ("不能含数字", "must not contain digits"),
        ("请只用汉字或只用拉丁字母书写", "write it in Chinese characters or in Latin letters, not both"),
        ("间隔号“·”只能用在名字中间", "the dot “·” may only stand between parts of a name"),
        ("护照号码应为5至17位字母和数字", "5 to 17 letters and digits"),
        ("前17位应为数字，最后一位为数字或X", "17 digits, then a digit or X"),
        ("出生日期不存在（第7至14位）", "the date of birth (digits 7 to 14) does not exist"),
        ("出生日期在今天之后（第7至14位）", "the date of birth (digits 7 to 14) is in the future"),
        ("前两位不是有效的省份代码", "the first two digits are not a province"),
        (
            "15位的第一代身份证已停止使用，请填写18位号码",
            "15-digit first-generation ID cards are no longer valid: give the 18-digit number",
        ),
        ("应为11位手机号", "11 digits"),
        ("应在35.0至42.0℃之间，请复测", "between 35.0 and 42.0 ℃: please measure again"),
        ("应为数字，如36.5", "a number, such as 36.5"),
        (
            "导出完整信息须写明用途（至少2个字），如“区疾控中心流调需要”",
            "exporting full details needs its purpose (at least 2 characters), e.g. the district CDC's tracing",
        ),
        (
            "红码人员按“误扫”放行也须写明扫错了什么（至少2个字），如“扫成了同行人的证件”",
            "letting a red code through as a wrong scan needs what was scanned wrongly (at least 2 characters)",
        ),
        (
            "核实后放行须写明核实了什么（至少2个字），如“复测体温36.8℃”",
            "letting through after a check needs what was checked (at least 2 characters), e.g. temperature 36.8 ℃ again",
        ),
        ("选择“其他”时请写明原因（至少2个字）", "with “Other”, write the reason (at least 2 characters)"),
        (crate::risk::CONFIRMED, "confirmed with the centre"),
        // Printing (the poster crate's CUPS messages).
        (
            "本机没有打印服务（CUPS）：请先安装打印机，或保存为PDF后在别处打印",
            "This computer has no print service (CUPS): install a printer first, or save the PDF and print it elsewhere",
        ),
        (
            "打印服务没有回应：请稍后再试，或点“保存PDF”后在别处打印",
            "The print service does not answer: try again later, or press “Save PDF” and print elsewhere",
        ),
        (
            "打印服务（CUPS）没有运行：请重启电脑或联系管理员；也可以点“保存PDF”后在别处打印",
            "The print service (CUPS) is not running: restart the computer or call the administrator; or press “Save PDF” and print elsewhere",
        ),
        ("该打印机暂停接收任务：请在系统的打印机设置中恢复", "This printer is not accepting jobs: resume it in the system's printer settings"),
        ("打印机不存在：请重新选择", "This printer does not exist: choose again"),
        (
            "打印机拒绝了这次打印（没有权限）：请联系管理员检查打印机设置",
            "The printer refused this job (not allowed): ask the administrator to check the printer's settings",
        ),
        (
            "打印失败：打印服务拒绝了这次打印，请检查打印机后重试，或点“保存PDF”后在别处打印",
            "Printing failed: the print service refused the job. Check the printer and try again, or press “Save PDF” and print elsewhere",
        ),
        // Talking to the centre (the sync client's and the update's).
        (
            "无法连接中心服务器：记录已保存在本机，网络恢复后自动上传",
            "Cannot reach the centre: the records are kept on this computer and uploaded when the network is back",
        ),
        ("无法连接中心服务器，请稍后再试", "Cannot reach the centre: try again later"),
        (
            "本登记台的凭证已被中心吊销，已停止同步；请联系管理员重新接入",
            "The centre has revoked this desk's credential; sync has stopped. Ask the administrator to connect it again",
        ),
        ("中心服务器不认识本登记台的凭证；请重新接入", "The centre does not know this desk's credential: connect again"),
        (
            "本机时钟与中心服务器相差一天以上，已停止同步；请先校准本机时间",
            "This computer's clock is more than a day off the centre's; sync has stopped. Set the clock first",
        ),
        (
            "中心服务器的证书无效或不受信任；如使用自建证书，请在设置中指定CA证书文件",
            "The centre's certificate is invalid or not trusted; with a certificate of your own, choose its CA file in Settings",
        ),
        ("尚未接入中心服务器", "Not connected to the centre yet"),
        ("本机数据库出错，请重试；如仍失败，请联系管理员", "This desk's database failed: try again; if it fails again, call the administrator"),
        ("这个版本已被中心撤回，请重新检查更新", "The centre has withdrawn this version: check for updates again"),
        ("中心服务器暂时无法提供更新，请稍后再试", "The centre cannot offer updates just now: try again later"),
        // Updates (core's release rules).
        (
            "更新包的签名验证失败：文件被改动过，或不是用本系统的发布密钥签名的，已拒绝；请联系IT人员",
            "Refused: the update's signature does not verify (the file was changed, or not signed with this system's release key). Call IT",
        ),
        (
            "更新包的签名与本机的发布公钥不符，已拒绝；请联系IT人员",
            "Refused: the update is not signed with this computer's release key. Call IT",
        ),
        ("更新包的签名格式不对", "The update's signature is not in the right format"),
        ("正在安装更新，请稍候", "An update is being installed: please wait"),
        ("没有可安装的新版本", "There is no new version to install"),
        ("中心已不再提供新版本", "The centre no longer offers a new version"),
        ("中心提供的安装包格式与本机不符", "The centre's package is not of this computer's format"),
        ("本机没有 pkexec（PolicyKit），不能安装更新；请由IT人员安装", "This computer has no pkexec (PolicyKit) to install updates: IT must install it"),
        ("无法启动系统的软件安装程序", "Could not start the system's software installer"),
        ("未获得系统管理员授权，更新未安装", "The system administrator's permission was not given: the update is not installed"),
        ("系统的软件安装程序未能安装更新，本机仍是原版本", "The system's software installer could not install the update: this computer keeps its version"),
        ("更新包的文件名不对，已拒绝", "Refused: the update's file name is wrong"),
        ("无法读取下载的更新包（应为一个普通文件），已拒绝", "Refused: the downloaded update cannot be read (it must be a regular file)"),
        ("本机没有发布公钥，不能安装更新", "This computer has no release key, so it cannot install updates"),
        ("无法读取下载的更新包", "The downloaded update cannot be read"),
        ("无法读取更新包", "The update cannot be read"),
        (
            "更新包的签名不是为这个版本做的（签名中的文件名与版本不符）",
            "The update's signature is not for this version (its file name and version do not match)",
        ),
        // Trucks.
        ("请写明作废原因（至少2个字），如“车牌录错”", "write why the trip is voided (at least 2 characters), e.g. a wrong plate"),
        ("应为绿、黄或红", "green, yellow or red"),
        (
            "请写明如何核实到达（至少2个字），如“电话联系司机，已到达目的地”",
            "write how the arrival was verified (at least 2 characters), e.g. phoned the driver",
        ),
        ("请写明劝返原因（至少2个字），如“司机体温37.8℃”", "write why the truck was turned back (at least 2 characters)"),
        (
            "该人员已处置（已上报或已放行），请在“异常处置”中查看",
            "This person has already been dealt with (reported or let through): see Incidents",
        ),
        ("请先登录：选择登记员并输入PIN", "Sign in first: choose an operator and enter the PIN"),
        ("需要管理员权限", "Only an administrator can do this"),
        ("此窗口不能执行该操作：扫码屏窗口只显示场所码", "This window cannot do that: a code screen only shows its code"),
        ("请先修改PIN（6至12位数字）：“设置”→“修改我的PIN”", "Change your PIN first (6 to 12 digits): Settings → Change my PIN"),
        (
            crate::checkin::SWIPED,
            "looks like a document number from a card reader or scanner: write words here, do not swipe cards into it",
        ),
        (
            crate::checkin::RELATION_RULE,
            "at most 10 Chinese characters or 24 English letters, such as 父亲 or father",
        ),
        (
            "请写明这一步做了什么（至少2个字），如“已电话告知西司门社区”",
            "write what was done at this step (at least 2 characters), e.g. phoned the community office",
        ),
        ("场所码校验不通过，可能输错或被篡改", "The venue code does not check out: mistyped, or altered"),
        (
            "图片中没有找到二维码：请正对海报、拍清楚后再试",
            "No QR code found in the picture: take it straight on and sharp, then try again",
        ),
        (
            "应为 https://主机名[:端口]，如 https://placecode.kaifeng.gov.cn",
            "https://host[:port], such as https://placecode.kaifeng.gov.cn",
        ),
        (
            "须以 https:// 开头（http 只用于本机测试），否则身份证号等将以明文传输",
            "must begin with https:// (http is for testing on this computer only), or ID numbers would travel in clear",
        ),
        ("接入码无效、已使用或已过期", "The enrol token is not valid, already used or expired"),
        ("不对", "wrong"),
        ("姓名或PIN不对", "Wrong name or PIN"),
        (
            "应为https://开头的网址，如https://placecode.kaifeng.gov.cn",
            "an address beginning with https://, such as https://placecode.kaifeng.gov.cn",
        ),
        (
            "不能超过40个字符，否则二维码过密，远处扫不出",
            "at most 40 characters, or the QR code gets too dense to scan from a distance",
        ),
        ("请从已登记的目的地场所中选择", "choose one of the registered destination venues"),
        ("第一位应为省份简称（如豫）", "the first character is the province's (such as 豫)"),
        ("不在可选范围内，请从列表中选择", "not one of the choices: choose from the list"),
        ("不在可选范围内", "not one of the choices"),
        ("请选择", "choose one"),
        (
            "本台已连接中心，名单由中心下发，不能从文件导入",
            "this desk is connected to the centre, which sends the list: it cannot be imported from a file",
        ),
        ("申报接触过疑似病人", "Declared contact with a suspected case"),
        ("申报有发热、咳嗽等症状或体温异常", "Declared a fever, a cough or an abnormal temperature"),
        (
            "申报到过疫情严重地区或中高风险地区",
            "Declared a visit to an area with a serious outbreak or of medium or high risk",
        ),
    ];
    let lookup = |table: &[(&str, &'static str)], s: &str| table.iter().find(|(k, _)| *k == s).map(|(_, v)| *v);
    // "第2位：…": the second person of a group registered together.
    if let Some((n, rest)) = zh.strip_prefix('第').and_then(|r| r.split_once("位：")) {
        if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() {
            return format!("Person {n}: {}", english(rest));
        }
    }
    if let Some(en) = lookup(REASONS, zh) {
        return en.to_owned();
    }
    // A document kind by its Chinese name (居民身份证).
    let kind_named = |name: &str| DocumentKind::parse_label(name);
    if let Some((label, why)) = zh.split_once('：') {
        if let Some(l) = lookup(LABELS, label) {
            // "这是…的号码，请在证件类型中选择“…”": the kind to choose, named in English.
            if let Some(kind) = why.strip_prefix("这是").and_then(|w| w.split_once("的号码")).map(|(k, _)| k) {
                if let Some(k) = kind_named(kind) {
                    return format!("{l}: this is the number of a {}; choose that document type", document_kind_en(k));
                }
            }
            return label_reason(l, why);
        }
        // A document kind's name as the field's label ("居民身份证：必填").
        if let Some(k) = kind_named(label) {
            return label_reason(document_kind_en(k), why);
        }
    }
    // 一所一码: "重复登记：该场所已登记为“…”（…），一所一码，不能重复登记".
    if let Some((name, address)) = zh
        .strip_prefix("重复登记：该场所已登记为“")
        .and_then(|r| r.strip_suffix("），一所一码，不能重复登记"))
        .and_then(|r| r.split_once("”（"))
    {
        return format!("Already registered as “{name}” ({address}): one venue, one code");
    }
    // Reasons with a value in them.
    if let Some(base) = zh
        .strip_prefix("无法连接中心服务器 ")
        .and_then(|r| r.strip_suffix("：请检查服务器地址是否正确、本机网络是否连通，再接入"))
    {
        return format!(
            "Cannot reach the centre at {base}: check the address and this computer's network, then connect"
        );
    }
    if let Some(status) = zh.strip_prefix("中心服务器暂时出错（").and_then(|r| r.strip_suffix("），稍后自动重试"))
    {
        return format!("The centre failed for now ({status}); trying again soon");
    }
    if let Some(((n, secs), way_on)) =
        zh.strip_prefix("本台近来有").and_then(|r| r.split_once("秒后再查询；")).and_then(|(r, way_on)| {
            let counts = r.split_once(
                "次查询没有登记任何人（号码不在本台、后四位无人或未选定、离场未找到），为防他人借此猜测证件号码，请",
            )?;
            Some((counts, way_on))
        })
    {
        let way_on = match way_on {
            "来访人员（新来的或来过的）都可按 F4 手工登记" => {
                "any visitor, new or returning, can be registered by hand (F4)".to_owned()
            }
            crate::checkin::LEAVING_WAY_ON => "sign them out by the last four instead".to_owned(),
            other => english(other),
        };
        return format!(
            "{n} lookups at this desk lately recorded nobody (a number not on file here, last four matching no one, no one chosen, or no one found leaving). So that nobody can guess ID numbers this way, look up again in {secs} s; {way_on}"
        );
    }
    if let Some(((n, each), wait)) = zh
        .strip_prefix("本台近来已按表单登记")
        .and_then(|r| r.strip_suffix("秒后再提交（已填写的内容不会丢失）"))
        .and_then(|r| r.split_once("秒可再登记1人，请"))
        .and_then(|(counts, wait)| Some((counts.split_once("人，为防他人借此猜测证件号码，每")?, wait)))
    {
        return format!(
            "{n} people were registered from forms at this desk lately. So that nobody can guess ID numbers this way, one more can be registered every {each} s: submit again in {wait} s (what you filled in is kept)"
        );
    }
    if let Some(((minute, hour), wait)) = zh
        .strip_prefix("按姓名或完整证件号码搜索太频繁（每分钟最多")
        .and_then(|r| r.strip_suffix("后再试，或按证件号码后四位、时间搜索"))
        .and_then(|r| r.split_once("次），请"))
        .and_then(|(counts, wait)| Some((counts.split_once("次、每小时最多")?, wait)))
    {
        let wait = match (wait.strip_suffix("分钟"), wait.strip_suffix('秒')) {
            (Some(m), _) => format!("{m} min"),
            (_, Some(s)) => format!("{s} s"),
            _ => wait.to_owned(),
        };
        return format!(
            "too many searches by whole name or document number (at most {minute} a minute and {hour} an hour): try again in {wait}, or search by the last four or a time"
        );
    }
    if let Some(secs) = zh.strip_prefix("中心服务器繁忙，").and_then(|r| r.strip_suffix("秒后自动重试")) {
        return format!("The centre is busy; trying again in {secs} s");
    }
    if let Some((at, to)) = zh
        .strip_prefix("该车已有在途行程（")
        .and_then(|r| r.strip_suffix("），请先在该行程上登记到达核验、劝返或作废"))
        .and_then(|r| r.split_once(" 入口，去往"))
    {
        return format!(
            "this truck has a trip in transit (entered {at}, going to {to}): first verify its arrival, turn it back or void it"
        );
    }
    if let Some(at) = zh.strip_prefix("该车 ").and_then(|r| {
        r.strip_suffix(
            " 入口登记的司乘人员有黄码或红码，尚未处置：请在下方“在途车辆”中点该车的“处置”，拒绝并上报或记录放行原因",
        )
    }) {
        return format!(
            "the crew registered at {at} has a yellow or red code not yet dealt with: press “Decide” for this truck under Trucks in transit, and refuse and report or record why it is let through"
        );
    }
    if let Some(rest) = zh.strip_prefix("应为18位，现为").and_then(|r| r.strip_suffix('位')) {
        return format!("18 characters, not {rest}");
    }
    if let Some(rest) = zh.strip_prefix("应为18位（2023年12月起的新证）或15位，现为").and_then(|r| r.strip_suffix('位'))
    {
        return format!("18 digits (cards since December 2023) or 15 characters, not {rest}");
    }
    if let Some((n, max)) = zh
        .strip_prefix("已达限流人数（场内")
        .and_then(|r| r.strip_suffix("人）：请来客稍候，有人离场后再登记"))
        .and_then(|r| r.split_once("人，限"))
    {
        return format!(
            "The venue is at its limit ({n} inside, limit {max}): ask the visitor to wait until someone leaves"
        );
    }
    if let Some(n) = zh.strip_prefix("场内有").and_then(|r| r.strip_suffix("人证件后四位相同，请输入完整证件号码"))
    {
        return format!("{n} people inside share these last four: enter the whole document number");
    }
    if let Some((lo, hi)) = zh.strip_prefix("应为").and_then(|r| r.split_once('至')) {
        // "应为1至120分钟", "应为3至20位数字": a range and its unit.
        let (hi, unit) = hi.split_at(hi.bytes().take_while(u8::is_ascii_digit).count());
        let unit = match unit {
            "" => Some(""),
            "分钟" => Some(" minutes"),
            "天" => Some(" days"),
            "小时" => Some(" hours"),
            "位数字" => Some(" digits"),
            _ => None,
        };
        if let Some(unit) = unit.filter(|_| !lo.is_empty() && !hi.is_empty() && lo.bytes().all(|b| b.is_ascii_digit()))
        {
            return format!("{lo} to {hi}{unit}");
        }
    }
    if let Some((max, now)) =
        zh.strip_prefix("最多").and_then(|r| r.strip_suffix("个）")).and_then(|r| r.split_once("个（现为"))
    {
        return format!("at most {max} (now {now})");
    }
    if let Some((want, got)) =
        zh.strip_prefix("列数不对：应为").and_then(|r| r.strip_suffix('列')).and_then(|r| r.split_once("列，实为"))
    {
        return format!("Wrong number of columns: {want} expected, {got} found");
    }
    if let Some(columns) = zh.strip_prefix("缺少列：").and_then(|r| r.strip_suffix("。第一行应为表头")) {
        return format!(
            "Columns missing: {}. The first row is the header, the column names in Chinese",
            columns.replace('、', ", ")
        );
    }
    if let Some((want, got)) =
        zh.strip_prefix("场所码不完整：应为").and_then(|r| r.strip_suffix('位')).and_then(|r| r.split_once("位，现为"))
    {
        return format!("The venue code is incomplete: {want} characters, not {got}");
    }
    if let Some(n) = zh
        .strip_prefix("本台从文件导入的")
        .and_then(|r| r.strip_suffix("条名单，接入后由中心下发的名单取代；请确认中心的名单已含这些人员后再接入"))
    {
        return format!(
            "the {n} entries imported at this desk from a file give way to the centre's list once connected: make sure the centre's list has them, then connect"
        );
    }
    // A desk that cannot open its data: "无法打开本台数据：无法取得数据库密钥：找不到密钥文件。请联系管理员，不要删除数据文件".
    if let Some(rest) = zh.strip_prefix("无法打开本台数据：") {
        return format!("Cannot open this desk's data: {}", english(rest));
    }
    if let Some(why) =
        zh.strip_prefix("无法取得数据库密钥：").and_then(|r| r.strip_suffix("。请联系管理员，不要删除数据文件"))
    {
        let why = match why {
            "找不到密钥文件" => "no key file found",
            "密钥文件已损坏" => "the key file is damaged",
            "系统密钥库中没有本台的密钥" => "the system keystore holds no key for this desk",
            "系统密钥库中的密钥已损坏" => "the key in the system keystore is damaged",
            "系统密钥库不可用" => "the system keystore is not available",
            other => other,
        };
        return format!("the database key cannot be had ({why}). Call the administrator; do not delete the data files");
    }
    // "姓名或PIN不对；张敏已连续输错5次，请30秒后再试".
    if let Some((name, rest)) = zh.strip_prefix("姓名或PIN不对；").and_then(|r| r.split_once("已连续输错")) {
        if let Some((n, wait)) = rest.split_once("次，请").and_then(|(n, w)| Some((n, w.strip_suffix("后再试")?)))
        {
            let wait = match (wait.strip_suffix("分钟"), wait.strip_suffix('秒')) {
                (Some(m), _) => format!("{m} minutes"),
                (None, Some(s)) => format!("{s} s"),
                _ => wait.to_owned(),
            };
            return format!("Wrong name or PIN: {name} has got it wrong {n} times in a row; try again in {wait}");
        }
    }
    if let Some(n) = zh.strip_prefix("必填，不超过").and_then(|r| r.strip_suffix("个字")) {
        return format!("required, at most {n} characters");
    }
    if let Some(c) = zh.strip_prefix("含有不允许的字符") {
        return format!("contains a character that is not allowed {c}");
    }
    if let Some((max, now)) = zh.strip_prefix("不能超过").and_then(|r| r.split_once("个字（现为")) {
        return format!("at most {max} characters (now {})", now.trim_end_matches("个）"));
    }
    if let Some(t) = zh.strip_prefix("体温").and_then(|r| r.strip_suffix("℃，达到发热标准")) {
        return format!("Temperature {t} ℃: a fever");
    }
    // "工作人员核实后放行：复测36.9℃": a release as recorded, its reason named in English and the
    // operator's note as typed.
    for reason in crate::checkin::ReleaseReason::ALL {
        if let Some(note) = zh.strip_prefix(reason.label()) {
            let label = release_reason_en(reason);
            match note.strip_prefix('：') {
                Some(note) => return format!("{label}: {note}"),
                None if note.is_empty() => return label.to_owned(),
                None => {}
            }
        }
    }
    // Several reasons, as an incident keeps them ("…；…").
    // Only when each part is a reason of its own: a sentence may have a '；' in it too.
    if zh.contains('；') {
        let parts: Vec<String> = zh.split('；').map(english).collect();
        if !parts.iter().any(|p| p.starts_with("Please check")) {
            return parts.join("; ");
        }
    }
    // "风险人员名单为红码：密接": the risk list's colour (its reason as listed, in Chinese).
    if let Some(rest) = zh.strip_prefix("风险人员名单为") {
        let (colour, why) = rest.split_once('：').unwrap_or((rest, ""));
        let colour = colour_en(colour);
        // The centre's and the desk's own words are translated; a list's reason stays as listed.
        let why = lookup(REASONS, why).unwrap_or(why);
        return if why.is_empty() {
            format!("On the risk list as {colour}")
        } else {
            format!("On the risk list as {colour}: {why}")
        };
    }
    // "近期已判定为黄码，2026-12-15 06:57前保持，须经疫情防控部门解除".
    if let Some((colour, until)) = zh
        .strip_prefix("近期已判定为")
        .and_then(|r| r.strip_suffix("前保持，须经疫情防控部门解除"))
        .and_then(|r| r.split_once('，'))
    {
        let colour = colour_en(colour);
        return format!("Recently found {colour}: kept until {until} unless the epidemic office clears it");
    }
    // "陪同的监护人为红码（…），须一并处置".
    if let Some((colour, why)) = zh
        .strip_prefix("陪同的监护人为")
        .and_then(|r| r.strip_suffix("），须一并处置"))
        .and_then(|r| r.split_once('（'))
    {
        let why: Vec<String> = why.split('；').map(english).collect();
        return format!(
            "The guardian with them is {} ({}): deal with the guardian too",
            colour_en(colour),
            why.join("; ")
        );
    }
    format!("Please check: {zh}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_english() {
        assert_eq!(english("身份证号：必填"), "ID number: required");
        assert_eq!(english("限流比例（%）：应为1至100"), "Share allowed (%): 1 to 100");
        assert_eq!(english("作废原因：必填，不超过60个字"), "Reason for revoking: required, at most 60 characters");
        assert_eq!(
            english("已达限流人数（场内2人，限2人）：请来客稍候，有人离场后再登记"),
            "The venue is at its limit (2 inside, limit 2): ask the visitor to wait until someone leaves"
        );
        assert_eq!(
            english("场内有3人证件后四位相同，请输入完整证件号码"),
            "3 people inside share these last four: enter the whole document number"
        );
        assert_eq!(
            english("扫码屏尚未打开：请在登记台的场所码页面打开"),
            "the code screen is not open yet: open it from a venue's codes"
        );
        assert_eq!(english("第2位：姓名：必填"), "Person 2: Name: required");
        // The limits on guessing: the door's and 今日登记's, as the core words them.
        let mut door = crate::checkin::DoorBudget::default();
        let now = chrono::Utc::now();
        for _ in 0..crate::checkin::DOOR_UNRECORDED_MAX {
            door.answered_unrecorded(now);
        }
        let refused = door.check("last4", "证件号后四位", now).unwrap_err().to_string();
        assert!(
            english(&refused).starts_with("Last four: 30 lookups at this desk lately recorded nobody"),
            "{refused}"
        );
        assert!(english(&refused).contains("look up again in 120 s"), "{refused}");
        let mut pace = crate::checkin::FormPace::default();
        pace.recorded(crate::checkin::FORM_PEOPLE_MAX as usize, now);
        let refused = pace.check(1, now).unwrap_err().to_string();
        assert_eq!(
            english(&refused),
            "Form: 30 people were registered from forms at this desk lately. So that nobody can guess ID numbers this way, one more can be registered every 10 s: submit again in 10 s (what you filled in is kept)"
        );
        let leaving = door.check_leaving(now).unwrap_err().to_string();
        assert_eq!(
            english(&leaving),
            "Leaving: 30 lookups at this desk lately recorded nobody (a number not on file here, last four matching no one, no one chosen, or no one found leaving). So that nobody can guess ID numbers this way, look up again in 120 s; sign them out by the last four instead"
        );
        let mut search = crate::checkin::SearchBudget::default();
        let refused = (0..=crate::checkin::NAMED_SEARCHES_PER_MINUTE)
            .find_map(|i| search.spend(&format!("王{i}"), now).err())
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            english(&refused),
            "Search: too many searches by whole name or document number (at most 10 a minute and 100 an hour): try again in 60 s, or search by the last four or a time"
        );
        assert_eq!(english("第1位：监护人身份：必填"), "Person 1: Relation to the guardian: required");
        assert_eq!(english("联系电话：号码过长"), "Phone: too long");
        assert_eq!(
            english("身份证号：这是港澳台居民居住证的号码，请在证件类型中选择“港澳台居民居住证”"),
            "ID number: this is the number of a Residence permit for Hong Kong, Macao and Taiwan residents; choose that document type"
        );
        assert_eq!(english("护照号码：应为18位，现为9位"), "Passport number: 18 characters, not 9");
        assert_eq!(english("姓名：含有不允许的字符“<”"), "Name: contains a character that is not allowed “<”");
        assert_eq!(english("姓名：不能超过80个字（现为81个）"), "Name: at most 80 characters (now 81)");
        assert_eq!(english("体温37.8℃，达到发热标准"), "Temperature 37.8 ℃: a fever");
        assert_eq!(
            english("住址：写明路名"),
            "Address: please check (写明路名)",
            "unknown: kept after an English lead"
        );
        assert_eq!(english("什么"), "Please check: 什么");
        assert_eq!(english("风险人员名单为红码"), "On the risk list as red");
        assert_eq!(english("风险人员名单为黄码：次密接"), "On the risk list as yellow: 次密接");
        assert_eq!(english("风险人员名单为红码：已与中心核实"), "On the risk list as red: confirmed with the centre");
        assert_eq!(
            english("PIN：太容易猜到（同一数字或连续数字），请换一个"),
            "PIN: too easy to guess (one digit repeated, or a run): choose another"
        );
        assert_eq!(english(crate::checkin::NAME_UNKNOWN), "(name not registered)");
        // An incident as the desk keeps it: its reasons, its release note, the export's note.
        assert_eq!(
            english(&format!("风险人员名单为红码：{}；申报接触过疑似病人", crate::risk::LOCAL_MATCH)),
            "On the risk list as red: A possible match (a list imported on this desk): check with the epidemic \
             office before acting; Declared contact with a suspected case"
        );
        assert_eq!(english("风险人员名单为黄码：密接"), "On the risk list as yellow: 密接");
        assert_eq!(
            english(
                &crate::Error::Duplicate {
                    existing_id: "v".into(),
                    existing_name: "西司门农贸市场".into(),
                    existing_address: "鼓楼区西司门街12号".into()
                }
                .to_string()
            ),
            "Already registered as “西司门农贸市场” (鼓楼区西司门街12号): one venue, one code"
        );
        assert_eq!(
            english("联系电话：不是开封的固定电话（区号应为0371）"),
            "Phone: not a Kaifeng landline (the area code is 0371)"
        );
        assert_eq!(
            english("未安装：更新包的签名验证失败：文件被改动过，或不是用本系统的发布密钥签名的，已拒绝；请联系IT人员"),
            "Not installed: Refused: the update's signature does not verify (the file was changed, or not signed with \
             this system's release key). Call IT"
        );
        assert!(
            english("某某；某某").starts_with("Please check: 某某；某某"),
            "a '；' inside a sentence keeps it whole"
        );
        // What a trial of the English desk still saw in Chinese.
        for (zh, en) in [
            ("颜色：应为绿、黄或红", "Colour: green, yellow or red"),
            ("临时隔离点：必填", "Temporary isolation point: required"),
            ("无操作自动退出：应为1至120分钟", "Sign out when idle: 1 to 120 minutes"),
            ("保存期限：应为7至180天", "Retention period: 7 to 180 days"),
            ("监督电话：应为3至20位数字", "Supervision phone: 3 to 20 digits"),
            ("临时隔离点：最多10个（现为12个）", "Temporary isolation point: at most 10 (now 12)"),
            ("当前PIN：不对", "Current PIN: wrong"),
            ("列数不对：应为6列，实为4列", "Wrong number of columns: 6 expected, 4 found"),
            ("场所码不完整：应为34位，现为8位", "The venue code is incomplete: 34 characters, not 8"),
            ("居民身份证：必填", "Resident ID card (China): required"),
            ("车牌号：第一位应为省份简称（如豫）", "Plate number: the first character is the province's (such as 豫)"),
            ("场所类型：请选择", "Venue type: choose one"),
            (
                "无法打开本台数据：无法取得数据库密钥：找不到密钥文件。请联系管理员，不要删除数据文件",
                "Cannot open this desk's data: the database key cannot be had (no key file found). Call the \
                 administrator; do not delete the data files",
            ),
            (
                "风险名单：本台从文件导入的3条名单，接入后由中心下发的名单取代；请确认中心的名单已含这些人员后再接入",
                "Risk list: the 3 entries imported at this desk from a file give way to the centre's list once \
                 connected: make sure the centre's list has them, then connect",
            ),
            (
                "姓名或PIN不对；张敏已连续输错5次，请2分钟后再试",
                "Wrong name or PIN: 张敏 has got it wrong 5 times in a row; try again in 2 minutes",
            ),
        ] {
            assert_eq!(english(zh), en);
        }
        assert!(
            english("缺少列：场所类型、场所名称。第一行应为表头").starts_with("Columns missing: 场所类型, 场所名称.")
        );
        assert_eq!(english("工作人员核实后放行：复测36.9℃"), "Let through after staff checked: 复测36.9℃");
        assert_eq!(english("误扫（扫错了人或证件）"), "Wrong scan (wrong person or document)");
        assert_eq!(english("其他：<b>；</b>"), "Other: <b>；</b>");
        assert!(
            english("说明：导出完整信息须写明用途（至少2个字），如“区疾控中心流调需要”").starts_with("Note: exporting")
        );
        assert_eq!(
            english("近期已判定为黄码，2026-12-15 06:57前保持，须经疫情防控部门解除"),
            "Recently found yellow: kept until 2026-12-15 06:57 unless the epidemic office clears it"
        );
        assert_eq!(
            english("申报到过疫情严重地区或中高风险地区"),
            "Declared a visit to an area with a serious outbreak or of medium or high risk"
        );
        assert_eq!(english("第x位：什么"), "Please check: 第x位：什么");
        assert!(english("陪同的监护人为红码（风险人员名单为红码：密接），须一并处置")
            .starts_with("The guardian with them is red (On the risk list as red"));
        for k in DocumentKind::ALL {
            assert!(!document_kind_en(k).is_empty());
        }
    }
}
