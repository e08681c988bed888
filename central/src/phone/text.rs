//! Every word the phone pages show (zh-CN), in one place so a second language can be added.

pub const LANG: &str = "zh-CN";
pub const TITLE: &str = "场所码登记";
pub const BAD_CODE_TITLE: &str = "无效的场所码";
pub const BAD_CODE_BODY: &str =
    "这个二维码不是有效的场所码，可能已损坏或被篡改。请扫描场所张贴的正式场所码，或到登记台人工登记。";
pub const UNKNOWN_CODE_BODY: &str = "这个场所码未在中心登记或尚未生效。请到登记台人工登记。";
pub const REVOKED_TITLE: &str = "此码已停用";
pub const REVOKED_BODY: &str = "这个场所码已停用，请扫描场所张贴的新码，或到登记台人工登记。";
pub const REJECTED_VENUE_BODY: &str = "该场所未通过审核，此码不能使用。请到登记台人工登记。";
pub const SLOW_DOWN: &str = "操作过于频繁，请稍等片刻再试。";
pub const PHONE_FULL: &str = "本手机已为8人登记过，不能再为更多人登记。请到登记台由工作人员人工登记。";
pub const PHONE_NEW_IDS: &str = "本手机今天登记的新证件号已达上限。请到登记台由工作人员人工登记。";
pub const ADDRESS_ON_FILE: &str =
    "您所在的网络今天为已在中心登记过的证件号提交的次数已达上限。请到登记台由工作人员人工登记。";
pub const ADDRESS_NEW_IDS: &str = "您所在的网络今天登记的新证件号已达上限。请到登记台由工作人员人工登记。";
pub const BUSY_TITLE: &str = "排队中";
pub const BUSY: &str = "现在登记的人很多，页面将在5秒后自动重试，请稍候。也可到登记台人工登记。";
pub const TIMED_OUT: &str = "网络太慢，这次没有完成。请重新扫码再试，或到登记台人工登记。";
pub const STALE_FORM: &str = "页面已过期，请重新扫码后再提交。";
pub const SERVER_ERROR: &str = "服务器暂时无法处理，请稍后重试，或到登记台人工登记。";

pub const FIRST_VISIT: &str = "首次登记请填写以下信息，下次扫码只需输入证件号码后四位。";
pub const TRUCK_INTRO: &str = "货车司乘人员请每人填写一份申报。";
pub const NAME: &str = "姓名";
pub const ID_NUMBER: &str = "证件号码";
pub const ADDRESS: &str = "住址";
pub const PHONE: &str = "手机号";
pub const PHONE_OPTIONAL: &str = "手机号（选填）";
pub const TEMPERATURE: &str = "体温（℃，选填）";
pub const YES: &str = "是";
pub const NO: &str = "否";
pub const DOCUMENT_KIND: &str = "证件类型";
pub const DOCUMENT_KIND_BAD: &str = "证件类型：不在可选范围内，请从列表中选择";
pub const DOCUMENT_NUMBER: &str = "证件号";
pub const PLATE: &str = "车牌号";
pub const ORIGIN: &str = "来源地";
pub const ENTRY_POINT: &str = "入豫地";
pub const EXPECTED_RETURN: &str = "预计返豫时间（选填）";
pub const EXPECTED_DEPARTURE: &str = "预计离豫时间（选填）";
pub const SUBMIT: &str = "提交并登记";
pub const SUBMIT_PREDECLARATION: &str = "提交预申报";
pub const DECLARED_AT: &str = "申报时间";
pub const FIX_ERRORS: &str = "请修改标红的内容后再提交：";

pub const WELCOME_BACK: &str = "欢迎再次登记";
pub const LAST4: &str = "证件号后四位";
pub const LAST4_HINT: &str = "输入本机登记过的人的证件号码后四位";
pub const CHECK_IN: &str = "登记";
pub const ADD_PERSON: &str = "为其他人登记（如老人、儿童）";
pub const LAST4_BAD: &str = "证件号后四位：应为证件号码的最后4位，数字或字母（身份证最后一位可为X，可点X键输入）";
pub const LAST4_NEEDED: &str = "请输入其中一人的证件号码后四位；勾选了本人时可以不输入";
pub const LAST4_OR_TICK: &str = "输入其中一人的证件号码后四位，或勾选要登记的人（勾选了本人时可以不输入后四位）";
pub const WHO: &str = "要登记的人（可多选）";
pub const X_KEY: &str = "输入字母X";
pub const SENDING: &str = "提交中…";
/// On the button while a busy server is waited for (N: the seconds).
pub const WAITING: &str = "排队中，N秒后自动重试…";
pub const SELF: &str = "本人";
pub const RELATION: &str = "与本机机主的关系";
pub const RELATIONS: &[&str] =
    &["父母", "子女", "配偶", "祖父母/外祖父母", "孙子女/外孙子女", "兄弟姐妹", "其他亲属", "朋友/同事", "其他"];
pub const RELATION_MISSING: &str = "与本机机主的关系：请选择";
pub const CHOOSE: &str = "请选择";
pub const FOR_OTHER_TITLE: &str = "为他人登记";
pub const FOR_OTHER_NOTE: &str = "请填写被登记人（如老人、儿童）的信息。登记后，下次扫码可勾选此人一起登记。";
pub const ADDRESS_HINT: &str = "写明路、街或村，以及门牌号或小区，如“鼓楼区中山路18号院”";
pub const EXPIRED_TITLE: &str = "此登记结果已过期";
pub const EXPIRED_BODY: &str = "登记结果只在登记后几分钟内有效。进门时请重新扫码，向工作人员出示实时结果。";
pub const SCAN_AGAIN: &str = "重新登记";
pub const RESULT_GONE: &str = "登记结果只在本机保留一天。请重新扫码登记。";
pub const PREDECLARED: &str = "已预申报 · 到卡口报车牌 ";
pub const CONFIRM: &str = " 确认";
pub const PREDECLARED_YELLOW: &str =
    "已预申报 · 黄码：到达卡口时主动向工作人员出示此页、报车牌 {plate}，听从安排；途中不要下车停留";
pub const PREDECLARED_RED: &str =
    "已预申报 · 红码：请立即拨打12345报告；到达卡口时向工作人员出示此页、报车牌 {plate}，听从安排；途中不要下车停留";
/// A pre-declaration is not a check-in: said under its result.
pub const PREDECLARED_NOTE: &str =
    "这是预申报，还不是登记：到达卡口后由工作人员核对车牌和人员并确认，确认后才记入行程。";
pub const DESTINATION: &str = "目的地场所";
pub const DESTINATION_OTHER: &str = "不在列表中（到卡口告诉工作人员）";
pub const DESTINATION_MISSING: &str = "目的地场所：请选择；列表中没有时选“不在列表中”";
pub const DESTINATION_BAD: &str = "目的地场所：不在列表中，请重新选择";
pub const SHARE_TITLE: &str = "同车人员申报";
pub const SHARE_HINT: &str =
    "同车的其他人员请用自己的手机扫下面的码（或打开此链接）申报：车牌、来源地、入豫地和目的地已填好。一天内有效。";
pub const SHARE_LINK: &str = "同车人员申报链接";
pub const SHARED_NOTE: &str = "已带入同车人员申报的车牌、来源地、入豫地和目的地，请核对并填写本人信息。";
pub const MIXED_SAY: &str = "部分人员不能进入：请看下方每人的颜色，不能进入的人请到登记台，按工作人员指引等候";
pub const MAY_ENTER: &str = "可以进入";
pub const CONFIRM_AT_CHECKPOINT: &str = "到卡口报车牌确认";
pub const CHECK_AT_CHECKPOINT: &str = "到卡口听从安排";
pub const IF_WRONG_TRUCK: &str = "如对结果有疑问：到达卡口时向工作人员说明，由其核实后处理。";
pub const MAY_NOT_ENTER: &str = "不能进入";
pub const IF_WRONG: &str = "如对结果有疑问：请向现场工作人员说明，由其核实后处理，请勿自行离开。";
pub const SUPERVISION_PHONE: &str = "场所监督电话 ";
pub const HOTLINE: &str = "也可拨打12345政务服务便民热线。";
pub const LAST4_UNKNOWN: &str = "证件号后四位：本机没有登记过这个人，请核对，或为其他人登记";

pub const GREEN_SAY: &str = "通行";
pub const YELLOW_SAY: &str = "请勿进入，请到登记台出示此页，按工作人员指引就地等候核验";
pub const RED_SAY: &str = "禁止进入。请原地等候，工作人员将安排隔离并上报";
pub const CHECKED_IN_AT: &str = "登记时间";
pub const LIVE_HINT: &str = "页面时间实时走动，截图无效";
pub const AGAIN: &str = "返回";

pub const CHECKPOINTS_TITLE: &str = "交通卡口专属场所码";
pub const CHECKPOINTS_INTRO: &str =
    "货车司乘人员可在到达卡口前打开对应卡口的码，提前完成申报；到达后向工作人员报车牌号确认。";
pub const CHECKPOINTS_NONE: &str = "暂无已发布的卡口码。";
pub const TOO_LARGE: &str = "提交的内容过长，请返回重新填写。";
pub const LAST4_SHARED: &str = "证件号后四位：本机有不止一人是这四位，请在下面勾选要登记的人";
