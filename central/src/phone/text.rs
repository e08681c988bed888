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
pub const STALE_FORM: &str = "页面已过期，请重新扫码后再提交。";
pub const SERVER_ERROR: &str = "服务器暂时无法处理，请稍后重试，或到登记台人工登记。";

pub const FIRST_VISIT: &str = "首次登记请填写以下信息，下次扫码只需输入身份证后四位。";
pub const TRUCK_INTRO: &str = "货车司乘人员请每人填写一份申报。";
pub const NAME: &str = "姓名";
pub const ID_NUMBER: &str = "身份证号";
pub const ADDRESS: &str = "住址";
pub const PHONE: &str = "手机号";
pub const PHONE_OPTIONAL: &str = "手机号（选填）";
pub const TEMPERATURE: &str = "体温（℃，选填）";
pub const VISITED_RISK_AREA: &str = "是否到过疫情严重地区";
pub const CONTACT: &str = "是否接触过疑似病人";
pub const TEMPERATURE_NORMAL: &str = "体温是否正常";
pub const YES: &str = "是";
pub const NO: &str = "否";
pub const DOCUMENT_KIND: &str = "证件类型";
pub const DOCUMENT_NUMBER: &str = "证件号";
pub const PLATE: &str = "车牌号";
pub const ORIGIN: &str = "来源地";
pub const ENTRY_POINT: &str = "入豫地";
pub const EXPECTED_RETURN: &str = "预计返豫时间（选填）";
pub const EXPECTED_DEPARTURE: &str = "预计离豫时间（选填）";
pub const SYMPTOMS: &str = "是否有发热、咳嗽症状";
pub const RISK_AREA_TRUCK: &str = "是否到过中高风险地区";
pub const SUBMIT: &str = "提交并登记";
pub const FIX_ERRORS: &str = "请修改标红的内容后再提交：";

pub const WELCOME_BACK: &str = "欢迎再次登记";
pub const LAST4: &str = "身份证后四位";
pub const LAST4_HINT: &str = "输入本机登记过的人的身份证后四位";
pub const COMPANIONS: &str = "同行人一起登记";
pub const CHECK_IN: &str = "登记";
pub const ADD_PERSON: &str = "为其他人登记（如老人、儿童）";
pub const LAST4_BAD: &str = "身份证后四位：应为4位数字（最后一位可为X）";
pub const LAST4_UNKNOWN: &str = "身份证后四位：本机没有登记过这个人，请核对，或为其他人登记";

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
