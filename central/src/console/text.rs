//! Every text of the supervision console (zh-CN), in one place.

pub const LANG: &str = "zh-CN";
pub const PRODUCT: &str = "场所码监管平台";
/// How authenticator apps name the account's issuer (in the `otpauth://` address, URL-safe).
pub const TOTP_ISSUER_URL: &str = "placecode";

pub const ROLE_CITY: &str = "市级监管";
pub const ROLE_DISTRICT: &str = "监管";
pub const ROLE_TRACER: &str = "流调人员";
pub const BAD_ROLE: &str = "角色：只能是 city（市级监管）、district（区县监管）或 tracer（流调人员）";
pub const BAD_DISTRICT: &str = "辖区：不是开封市的区县";
pub const DISTRICT_REQUIRED: &str = "辖区：区县监管必须指定辖区";
pub const DISTRICT_ONLY_FOR_DISTRICT: &str = "辖区：只有区县监管才指定辖区";
pub const BAD_LOGIN: &str = "用户名：3至32个英文字母、数字或 . _ -";
pub const LOGIN_TAKEN: &str = "用户名：已有同名用户";
pub const NAME: &str = "姓名";
pub const NAME_REQUIRED: &str = "姓名：必填";
pub const THE_USER: &str = "该用户";
pub const PASSWORD_CONTROL: &str = "密码：不能含控制字符（如制表符）";
pub const PASSWORD_WEAK: &str = "密码：太容易猜到（至少5种不同字符，且不能包含用户名）";

pub fn password_length(n: usize) -> String {
    format!("密码：须为{}至{}个字符（现为{n}个）", super::account::PASSWORD_MIN, super::account::PASSWORD_MAX)
}

// Sign-in.
pub const SIGN_IN: &str = "登录";
pub const SIGN_IN_TITLE: &str = "登录监管平台";
pub const LOGIN_LABEL: &str = "用户名";
pub const PASSWORD_LABEL: &str = "密码";
pub const CODE_LABEL: &str = "动态验证码";
pub const CODE_HINT: &str = "身份验证器应用中显示的6位数字";
pub const SIGN_IN_WRONG: &str = "用户名、密码或动态验证码不正确";
pub const SIGN_IN_LOCKED: &str = "该用户名连续登录失败次数过多，已暂停登录15分钟";
pub const SIGN_IN_BUSY: &str = "登录请求过多，请稍后再试";
pub const SIGNED_OUT: &str = "已退出登录";
pub const EXPIRED: &str = "登录已过期，请重新登录";
pub const SIGN_OUT: &str = "退出";
pub const FOREIGN_FORM: &str = "请求来源不对：请从本平台的页面提交";
pub const FORBIDDEN_TITLE: &str = "无权查看";
pub const FORBIDDEN: &str = "您的角色无权查看此页面。";
pub const NOT_FOUND_TITLE: &str = "页面不存在";
pub const NOT_FOUND: &str = "没有这个页面。";
pub const ERROR_TITLE: &str = "出错了";

// Navigation.
pub const NAV_COVERAGE: &str = "覆盖情况";
pub const NAV_TRACE: &str = "流调查询";
pub const NAV_AUDIT: &str = "审计日志";
pub const NAV_PLACES: &str = "无码场所";
pub const NAV_ACTIVITY: &str = "登记动态";
pub const NAV_TRUCKS: &str = "货车闭环";
pub const NAV_INCIDENTS: &str = "异常处置";
pub const NAV_OCCUPANCY: &str = "场内人数";

// Coverage (R10).
pub const COVERAGE_TITLE: &str = "场所码覆盖情况";
pub const COVERAGE_NOTE: &str =
    "按辖区和场所类型统计：已登记的场所（含被驳回的重复登记）、审核通过、已发码（有未作废的场所码）、\
     审核通过且近24小时和近7天有登记的场所数；\
     以及市场监管部门名单上应赋码的场所中已有有效场所码的（名单在“无码场所”导入）。";
pub const ALL_DISTRICTS: &str = "全部辖区";
pub const SHOW: &str = "查看";
pub const EXPORT_XLSX: &str = "导出Excel";
pub const TOTAL: &str = "合计";
pub const SUBTOTAL: &str = "小计";
pub const NO_VENUES: &str = "暂无登记的场所。";
pub const AS_OF: &str = "统计时间";
pub const COVERAGE_HEADERS: [&str; 11] = [
    "辖区",
    "场所类型",
    "已登记",
    "审核通过",
    "已发码",
    "发码率",
    "近24小时有登记",
    "近7天有登记",
    "名单应赋码",
    "名单已赋码",
    "名单覆盖率",
];
pub const COVERAGE_SHEET: &str = "覆盖情况";
pub const COVERAGE_FILE: &str = "场所码覆盖情况";

// Tracing (R11).
pub const TRACE_TITLE: &str = "流调查询";
pub const TRACE_NOTE: &str = "每次查询都记入审计日志（查询人、来源、用途、结果数）。请只为流调任务查询。";
pub const TRACE_PERSON: &str = "某人的行程";
pub const TRACE_OVERLAP: &str = "时空伴随（近14天同场所前后N小时）";
pub const TRACE_ID_NUMBER: &str = "证件号";
pub const TRACE_FROM: &str = "开始日期";
pub const TRACE_TO: &str = "结束日期";
pub const TRACE_HOURS: &str = "前后小时数";
pub const TRACE_PURPOSE: &str = "查询用途";
pub const TRACE_PURPOSE_HINT: &str = "必填，如流调编号“流调2026-118号”";
pub const TRACE_RUN: &str = "查询";
pub const TRACE_HEADERS: [&str; 8] = ["时间", "场所", "姓名", "证件号", "电话", "颜色", "来源", "备注"];
pub const TRACE_APART: &str = "相隔（分钟）";
pub const TRACE_NONE: &str = "没有查到记录。";
pub const TRACE_TRUNCATED: &str = "结果过多，只显示前10000条：请缩小时间范围。";
pub const TRACE_MASKED: &str = "您的角色看到的姓名、证件号和电话已脱敏；流调人员可见完整信息。";
pub const TRACE_TIMELINE: &str = "时间线";
pub const TRACE_UNVERIFIED: &str = "他人手机代报，未核验";
pub const TRACE_BAD_DATE: &str = "请填写日期（年-月-日）";
pub const TRACE_BAD_HOURS: &str = "前后小时数：应为1至72的整数";
pub const GREEN: &str = "绿码";
pub const YELLOW: &str = "黄码";
pub const RED: &str = "红码";
pub const SOURCE_PHONE: &str = "手机扫码";
pub const SOURCE_DESK: &str = "登记台";

// The audit log (city supervisors only).
pub const AUDIT_TITLE: &str = "审计日志";
pub const AUDIT_NOTE: &str =
    "谁在何时、从哪里、为何查询或导出了什么（最近500条，被查询人只记脱敏证件号）。查看本页也记入审计。";
pub const AUDIT_ACTION: &str = "操作";
pub const AUDIT_ALL: &str = "全部操作";
pub const AUDIT_HEADERS: [&str; 7] = ["时间", "操作人", "操作", "用途", "参数", "结果数", "来源"];
/// The actions worth filtering by, with their names.
pub const AUDIT_ACTIONS: [(&str, &str); 30] = [
    ("trace_person", "查询某人行程"),
    ("trace_venue", "查询场所人员"),
    ("trace_overlap", "时空伴随查询"),
    ("trace_refused", "拒绝的查询"),
    ("supervise_trips", "货车闭环查询"),
    ("console_sign_in", "控制台登录"),
    ("console_sign_in_refused", "控制台登录失败"),
    ("console_export", "导出Excel"),
    ("console_coverage", "查看覆盖情况"),
    ("console_user_add", "新建控制台用户"),
    ("console_user_disable", "停用控制台用户"),
    ("clear_colour", "赋色解除"),
    ("console_sign_out", "控制台退出"),
    ("read_audit", "查看审计日志"),
    ("console_activity", "查看登记动态"),
    ("console_places", "查看无码场所"),
    ("console_incidents", "查看异常处置"),
    ("import_places", "导入应赋码名单"),
    ("remind_place", "记录催办"),
    ("list_console_users", "列出控制台用户"),
    ("enrol_token", "生成接入码"),
    ("revoke_desk", "吊销登记台"),
    ("tracer_token", "生成追溯查询凭证"),
    ("revoke_tracer", "吊销追溯查询凭证"),
    ("import_risk", "导入风险人员名单"),
    ("risk_confirm", "登记台风险核查"),
    ("console_occupancy", "查看场内人数"),
    ("limit_order", "下达限流令"),
    ("limit_order_lifted", "解除限流令"),
    ("limit_order_refused", "被拒绝的限流令操作"),
];

// Places without a code (R10).
pub const PLACES_TITLE: &str = "无码场所与催办";
pub const PLACES_NOTE: &str = "导入市场监管部门的应赋码场所名单（CSV 或 Excel，UTF-8 或 GBK），按辖区、名称和地址与已登记场所匹配；仍没有有效场所码的列在下面，逐一催办并记录。";
pub const PLACES_IMPORT: &str = "导入应赋码场所名单";
pub const PLACES_FILE: &str = "名单文件";
pub const PLACES_FILE_HINT: &str = "第一行为表头，须有“场所名称”“所在辖区”“详细地址”，可有“场所类型”“联系人”“联系电话”";
pub const PLACES_UPLOAD: &str = "导入";
pub const PLACES_BAD_XLSX: &str = "名单文件：无法读取该Excel文件，请另存为 .xlsx 或 CSV 后再导入";
pub const PLACES_TOO_BIG: &str = "名单文件：过大（超过20MB），请分成几个文件导入";
pub const PLACES_NO_FILE: &str = "名单文件：请选择要导入的文件";
pub const PLACES_DISTRICT: &str = "所在辖区";
pub const PLACES_NOT_A_DISTRICT: &str = "不是开封市的区县";
pub const PLACES_OTHER_DISTRICT: &str = "不属于您的辖区，未导入";
pub const PLACES_NAME: &str = "场所名称";
pub const PLACES_ADDRESS: &str = "详细地址";
pub const REQUIRED: &str = "必填";
pub const PLACES_NO_CATEGORY: &str = "未填场所类型，按“其他人员易聚集场所”统计";
pub const PLACES_UNKNOWN_CATEGORY: &str = "不是本系统的场所类型，按“其他人员易聚集场所”统计";
pub const PLACES_SAME_AS: &str = "与第";
pub const PLACES_SAME_AS_END: &str = "行是同一场所，未重复导入";
pub const PLACES_IMPORTED: &str = "导入完成";
pub const PLACES_UNREGISTERED: &str = "未登记";
pub const PLACES_NOT_APPROVED: &str = "已登记，未通过审核";
pub const PLACES_NO_CODE: &str = "已登记，未发码";
pub const PLACES_NONE: &str = "名单上的场所都已有有效场所码。";
pub const PLACES_NO_LIST: &str =
    "尚未导入应赋码场所名单：无码场所要与市场监管部门的名单比对才能找出，请先在上面导入名单。";
pub const PLACES_SHEET: &str = "无码场所";
pub const PLACES_HEADERS: [&str; 9] =
    ["辖区", "场所类型", "场所名称", "详细地址", "联系人", "联系电话", "状态", "催办次数", "最近催办"];
pub const PLACES_LIST: &str = "仍无场所码的场所";
pub const PLACES_EXPORT: &str = "导出Excel（联系方式脱敏）";
pub const PLACES_EXPORT_FULL: &str = "导出Excel（完整联系方式）";
pub const PLACES_FILE_NAME: &str = "无码场所与催办";
pub const PLACES_SHOWN_FIRST: &str = "只显示前1000个，请导出Excel查看全部或按辖区查看。";
pub const THE_PLACE: &str = "该场所";
pub const REMIND: &str = "记录催办";
pub const REMIND_HOW_LABEL: &str = "方式";
pub const REMIND_NOTE: &str = "催办说明";
pub const REMIND_NOTE_HINT: &str = "如：已电话通知负责人，约定三日内登记";
pub const REMIND_BAD_HOW: &str = "方式：请选择电话、上门、书面通知或短信";
pub const REMIND_DONE: &str = "已记录催办";
pub const REMIND_HOW: [(&str, &str); 4] =
    [("phone", "电话"), ("visit", "上门"), ("notice", "书面通知"), ("sms", "短信")];
pub const SILENT_TITLE: &str = "已发码但7天无登记";
pub const SILENT_NOTE: &str = "有效场所码发放超过7天、近7天没有任何登记的场所：码可能没有张贴，或场所已停业。";
pub const SILENT_NONE: &str = "没有沉默的场所。";
pub const SILENT_SHEET: &str = "7天无登记";
pub const SILENT_HEADERS: [&str; 7] = ["辖区", "场所类型", "场所名称", "负责人", "联系电话", "发码时间", "最近登记"];
pub const NEVER: &str = "从未";

// Activity (R10).
pub const ACTIVITY_TITLE: &str = "登记动态";
pub const ACTIVITY_NOTE: &str = "扫码和登记台登记的人次，按颜色分；每分钟汇总一次。图下可展开数据表。";
pub const ACTIVITY_BY_HOUR: &str = "近24小时（按小时）";
pub const ACTIVITY_BY_DAY: &str = "近14天（按天）";
pub const ACTIVITY_BY_WAY: &str = "登记方式（近7天）";
pub const ACTIVITY_BY_DISTRICT: &str = "各辖区（近7天）";
pub const ACTIVITY_BY_CATEGORY: &str = "各类场所（近7天）";
pub const ACTIVITY_HEADERS: [&str; 5] = ["数据表", "绿码", "黄码", "红码", "合计"];
pub const ACTIVITY_NO_CHARTS: &str =
    "图表组件未随本服务器构建（运行 make deps 后重新构建服务器），请展开下面的数据表。";
pub const WAY_PHONE: &str = "手机扫码";
pub const WAY_DESK: &str = "登记台";
pub const WAY_MANUAL: &str = "手工登记";

// Trucks (R9) and incidents (R7).
pub const NONE: &str = "暂无。";
pub const PEOPLE: &str = "人";
pub const TRUCKS_TITLE: &str = "货车闭环";
pub const TRUCKS_PURPOSE: &str = "监管平台：货车闭环";
pub const TRUCKS_NOTE: &str = "近14天从卡口入境的货车：在途、超时未到达（列出司乘电话以便联系）、已闭环，按卡口和日期统计闭环数；以及到达目的地却找不到入境记录的车辆。";
pub const TRUCKS_COUNTS: [&str; 6] = ["在途", "超时未到", "已闭环", "卡口已处理", "需关注", "无入境记录的到达"];
pub const TRUCKS_TRIPS: &str = "行程（超时的在前）";
pub const TRUCKS_TRIP_HEADERS: [&str; 6] = ["车牌", "入境卡口", "目的地", "入境时间", "状态", "司乘人员"];
pub const TRUCKS_LOOPS: &str = "每日闭环（按卡口）";
pub const TRUCKS_LOOP_HEADERS: [&str; 3] = ["到达日期", "入境卡口", "闭环车次"];
pub const TRUCKS_UNMATCHED: &str = "无入境记录的到达";
pub const TRUCKS_UNMATCHED_HEADERS: [&str; 3] = ["到达时间", "车牌", "目的地"];
pub const TRIP_STATUS: [(&str, &str); 6] = [
    ("open", "在途"),
    ("overdue", "超时未到"),
    ("closed", "已闭环"),
    ("verified", "卡口核验到达"),
    ("turned_back", "已劝返"),
    ("cancelled", "已作废"),
];
pub const TRIP_STATUS_OTHER: &str = "其他";
pub const INCIDENTS_TITLE: &str = "未结的异常处置";
pub const INCIDENTS_NOTE: &str =
    "登记台对黄码、红码人员的处置：临时隔离 → 已上报 → 已闭环转运。这里列出还没有闭环转运或放行的，附每一步的记录。";
pub const INCIDENTS_NONE: &str = "没有未结的异常处置。";
pub const INCIDENTS_HEADERS: [&str; 7] =
    ["发生时间", "辖区", "场所", "颜色", "原因", "临时隔离地点（上报对象）", "进展"];
pub const REPORTED_TO: &str = "上报对象：";
pub const LATE_HITS_TITLE: &str = "绿码登记的风险人员";
pub const LATE_HITS_NOTE: &str = "登记台按绿码登记入场，而中心此时将其列为风险人员（风险名单或他处赋色）：多为登记台离线或名单未更新。请联系场所核实、上报，并凭追溯凭证查询此人行程。";
pub const LATE_HITS_HEADERS: [&str; 5] = ["登记时间", "辖区", "场所", "中心所列颜色", "中心发现时间"];
pub const INCIDENTS_SUMMARY_HEADERS: [&str; 3] = ["辖区", "临时隔离", "已上报"];
pub const INCIDENT_STATUS: [(&str, &str); 4] =
    [("isolated", "临时隔离"), ("reported", "已上报"), ("handed_over", "已闭环转运"), ("released", "已放行")];
pub const ACTIVITY_SHEET_HOURS: &str = "近24小时";
pub const ACTIVITY_SHEET_DAYS: &str = "近14天";
pub const ACTIVITY_SHEET_WAYS: &str = "登记方式";
pub const ACTIVITY_SHEET_DISTRICTS: &str = "各辖区";
pub const ACTIVITY_SHEET_CATEGORIES: &str = "各类场所";
pub const EXPORT: &str = "导出Excel";
pub const EXPORT_MASKED: &str = "导出Excel（脱敏）";
pub const EXPORT_FULL: &str = "导出Excel（含完整电话）";
pub const TRUCKS_TRIPS_SHEET: &str = "行程";
pub const TRUCKS_LOOPS_SHEET: &str = "每日闭环";
pub const TRUCKS_UNMATCHED_SHEET: &str = "无入境记录的到达";
pub const INCIDENTS_SHEET: &str = "未结的异常处置";
pub const AUDIT_SHEET: &str = "审计日志";
pub const TRACE_EXPORT: &str = "导出Excel";
pub const TRACE_EXPORT_FULL: &str = "导出时含完整姓名、证件号和电话（默认脱敏）";
pub const TRACE_PERSON_FILE: &str = "流调-行程";
pub const TRACE_OVERLAP_FILE: &str = "流调-时空伴随";
pub const FILE_FULL: &str = "-含完整信息";
pub const PLACES_DISTRICT_REQUIRED: &str = "所在辖区：必填";
pub const ACTIVITY_HOUR: &str = "时间";
pub const ACTIVITY_DAY: &str = "日期";
pub const ACTIVITY_WAY: &str = "登记方式";
pub const ACTIVITY_DISTRICT: &str = "辖区";
pub const ACTIVITY_CATEGORY: &str = "场所类型";
pub const ACTIVITY_EMPTY: &str = "暂无数据";
pub const PLACES_CONTACT_NAME: &str = "联系人";
pub const PLACES_CONTACT_PHONE: &str = "联系电话";
pub const PLACES_TOO_MANY: &str = "名单文件：超过5万行，请按辖区分成几个文件导入";
pub const PLACES_MORE_ROWS: &str = "另有{n}行未列出（只列出前200行）";
pub const PLACES_BAD_UPLOAD: &str = "名单文件：上传的内容无法读取，请重新选择文件";
pub const UNKNOWN_LOGIN: &str = "console:（不存在的用户名）";
pub const ADDRESS_LIMITED: &str = "console:（同一地址登录过于频繁）";
pub const TRACE_VENUE: &str = "某场所的人员";
pub const TRACE_VENUE_LABEL: &str = "场所（查场所人员时填）";
pub const TRACE_VENUE_HINT: &str = "场所名称的一部分，如“第一楼”";
pub const TRACE_VENUE_REQUIRED: &str = "场所：请写场所名称（至少2个字）";
pub const TRACE_VENUE_NONE: &str = "场所：没有找到名称含这些字的场所";
pub const TRACE_VENUE_MANY: &str = "场所：有多个场所名称含这些字，请选择一个：";
pub const TRACE_VENUE_MANY_MORE: &str = "场所：名称含这些字的场所超过10个，请写得更具体，或选择一个：";
pub const TRACE_VENUE_FILE: &str = "流调-场所人员";
pub const REMINDERS_SHEET: &str = "催办记录";
pub const REMINDERS_HEADERS: [&str; 6] = ["时间", "辖区", "场所名称", "方式", "催办人", "说明"];

// Occupancy and 限流令 (#18).
pub const OCCUPANCY_TITLE: &str = "场内人数与限流";
pub const ORDER_CITY: &str = "全市";
/// After a district's name: the city's order over it, or the district's own.
pub const ORDER_BY_CITY: &str = "（市级）";
pub const ORDER_BY_DISTRICT: &str = "（区级）";
pub const ORDER_NONE: &str = "该范围目前没有限流令（可能已被解除）。";
pub const ORDER_BAD_SCOPE: &str = "范围：请选择全市或一个区县";
pub const ORDER_NOT_YOURS: &str = "只能对本辖区下达或解除限流令。";
pub const ORDER_DONE: &str = "限流令已下达：手机登记页立即执行，各登记台在下次同步时（联网时约半分钟内）执行。";
pub const ORDER_LIFTED: &str = "限流令已解除。仍在执行的限流令见下表（没有了的，各场所按自设比例）。";

pub struct OccupancyText {
    pub note: &'static str,
    pub orders_title: &'static str,
    pub no_orders: &'static str,
    pub order_headers: [&'static str; 4],
    pub give: &'static str,
    pub scope: &'static str,
    pub percent: &'static str,
    pub percent_hint: &'static str,
    pub submit: &'static str,
    pub lift: &'static str,
    pub lift_confirm: &'static str,
    pub district: &'static str,
    pub all_districts: &'static str,
    pub show: &'static str,
    pub counts: [&'static str; 4],
    pub list_title: &'static str,
    pub headers: [&'static str; 9],
    pub none: &'static str,
    pub shown_first: &'static str,
    pub no_capacity: &'static str,
    pub full: &'static str,
}

pub const OCCUPANCY_TEXT: OccupancyText = OccupancyText {
    note: "各场所现在的场内人数（绿码入场、未离场、未超过停留时间的人），对比正在执行的限流上限，已满的排在前面。\
           限流令规定辖区内场所最多接待核定容量的百分之几；场所自设的比例更低时，仍按自设比例。",
    orders_title: "限流令",
    no_orders: "目前没有限流令。",
    order_headers: ["范围", "比例", "下达时间", "下达人"],
    give: "下达限流令",
    scope: "范围",
    percent: "比例（%）",
    percent_hint: "1至100：辖区内场所最多接待核定容量的百分之几。同一范围再次下达即替换；市级与区级限流令各自保留，场所执行其中最严的一项（见下表“执行比例”）。",
    submit: "下达",
    lift: "解除",
    lift_confirm: "确认解除{scope}的限流令",
    district: "辖区",
    all_districts: "全市",
    show: "查看",
    counts: ["场内人数", "场所", "已满", "限流令下未填核定容量"],
    list_title: "各场所",
    headers: ["辖区", "场所类型", "场所名称", "核定容量", "自设比例", "执行比例", "上限", "场内", "占上限"],
    none: "没有设了限流、或近一天有登记的场所。",
    shown_first: "只列出最满的500个场所；上面的合计包括全部场所。",
    no_capacity: "未填容量",
    full: "已满",
};
