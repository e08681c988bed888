//! Venues (场所) and the fixed lists they are registered with (R1 to R3).

use serde::{Deserialize, Serialize};

/// Declares a closed list whose values have a stable key (stored, sent to the UI) and the
/// official Chinese label (shown, printed, accepted in CSV imports).
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $key:literal : $label:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $(#[serde(rename = $key)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Accepts the key or the Chinese label, after normalization.
            pub fn parse(s: &str) -> Option<Self> {
                let s = crate::normalize::comparable(s);
                Self::ALL.iter().copied().find(|v| {
                    s == v.key() || s == crate::normalize::comparable(v.label())
                })
            }
        }
    };
}

labelled_enum! {
    /// R1: 场所码 or one of the two kinds of 专属场所码 used for truck crews.
    CodeKind {
        General = "general": "场所码",
        Checkpoint = "checkpoint": "专属场所码·交通卡口",
        Destination = "destination": "专属场所码·目的地场所",
    }
}

labelled_enum! {
    /// R2: the 24 venue categories that must post a code, and the one category a checkpoint
    /// (交通卡口, R9) has: it is not a place people gather, and no other venue may claim it.
    Category {
        Institution = "institution": "机关企事业单位",
        Mall = "mall": "商场超市",
        Market = "market": "农贸市场",
        Hotel = "hotel": "宾馆酒店",
        Restaurant = "restaurant": "餐厅饭店",
        Museum = "museum": "文博场馆",
        Leisure = "leisure": "文体休闲娱乐场所",
        ScenicSpot = "scenic_spot": "旅游景区",
        Medical = "medical": "医疗机构",
        Pharmacy = "pharmacy": "零售药店",
        School = "school": "学校及校外培训机构",
        Prison = "prison": "监所",
        ElderlyCare = "elderly_care": "养老机构",
        Welfare = "welfare": "福利机构",
        Childcare = "childcare": "托幼机构",
        Logistics = "logistics": "物流快递点",
        RailwayStation = "railway_station": "火车站",
        BusStation = "bus_station": "汽车站",
        HighSpeedRail = "high_speed_rail": "高铁站",
        ServiceArea = "service_area": "高速服务区",
        ConstructionSite = "construction_site": "建筑工地",
        Religious = "religious": "宗教场所",
        Community = "community": "居民社区(小区)",
        Other = "other": "其他人员易聚集场所",
        Checkpoint = "checkpoint": "交通卡口(疫情防控检查站)",
    }
}

labelled_enum! {
    /// R3: Kaifeng's districts and counties (所在辖区).
    District {
        Gulou = "gulou": "鼓楼区",
        Longting = "longting": "龙亭区",
        Shunhe = "shunhe": "顺河回族区",
        Yuwangtai = "yuwangtai": "禹王台区",
        Xiangfu = "xiangfu": "祥符区",
        Qixian = "qixian": "杞县",
        Tongxu = "tongxu": "通许县",
        Weishi = "weishi": "尉氏县",
        Lankao = "lankao": "兰考县",
        Demonstration = "demonstration": "开封城乡一体化示范区",
    }
}

/// What a person submits to register a venue (场所登记). Free text, normalized and checked by
/// [`crate::validate::venue`] before anything is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueInput {
    /// 码的类型: a [`CodeKind`] key.
    pub kind: String,
    /// 场所类型: a [`Category`] key.
    pub category: String,
    /// 场所名称
    pub name: String,
    /// 所在辖区: a [`District`] key.
    pub district: String,
    /// 详细地址
    pub address: String,
    /// 负责人姓名
    pub manager_name: String,
    /// 联系电话
    pub manager_phone: String,
}

/// A venue that passed validation, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidVenue {
    pub kind: CodeKind,
    pub category: Category,
    pub name: String,
    pub district: District,
    pub address: String,
    pub manager_name: String,
    pub manager_phone: String,
}

impl ValidVenue {
    /// 一所一码: two submissions are the same venue when name, district and address agree
    /// once spaces, letter case and character width are ignored.
    pub fn dedup_key(&self) -> String {
        place_key(self.district, &self.name, &self.address)
    }

    /// See [`tail_key`].
    pub fn tail_key(&self) -> String {
        tail_key(self.district, &self.name, &self.address)
    }
}

/// 一所一码 as people write one place twice: the key of [`place_key`] once the province, city and
/// district written before the name and the address are dropped (祥符区豫东物流园 at 祥符区物流
/// 大道8号 and 豫东物流园 at 物流大道8号 are one place; a trial had a logistics park registered
/// both ways, and a truck sent to one could not arrive at the other).
pub fn tail_key(district: District, name: &str, address: &str) -> String {
    place_key(district, &crate::validate::address_tail(name), &crate::validate::address_tail(address))
}

/// The key two records of one venue share (一所一码): its district, and its name and address
/// once spaces, letter case and character width are ignored.
pub fn place_key(district: District, name: &str, address: &str) -> String {
    format!("{}|{}|{}", district.key(), crate::normalize::comparable(name), crate::normalize::comparable(address))
}

/// A place on the market regulator's list, keyed to be matched to venues: the district, the name
/// as [`tail_key`] compares it, and the address past its province, city and district (lists
/// write 开封市龙亭区北门大街20号 where the venue wrote 龙亭区北门大街20号). A venue is the place
/// when its key's district and name are these and its address ends with this address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    pub key: String,
    pub name: String,
    pub address: String,
}

pub fn listed_key(district: District, name: &str, address: &str) -> ListedKey {
    // The name past a city and district written before it too (开封市仁和医院 is the venue
    // 仁和医院), as [`tail_key`] keeps a venue's.
    let name = crate::normalize::comparable(&crate::validate::address_tail(name));
    let address = crate::normalize::comparable(&crate::validate::address_tail(address));
    ListedKey { key: format!("{}|{name}|{address}", district.key()), name, address }
}

/// A valid venue as its desk sends it (keys and normalized text): the venue record's form,
/// which the same rule takes again unchanged.
impl From<&ValidVenue> for VenueInput {
    fn from(v: &ValidVenue) -> VenueInput {
        VenueInput {
            kind: v.kind.key().into(),
            category: v.category.key().into(),
            name: v.name.clone(),
            district: v.district.key().into(),
            address: v.address.clone(),
            manager_name: v.manager_name.clone(),
            manager_phone: v.manager_phone.clone(),
        }
    }
}

/// A registered venue as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Venue {
    pub id: String,
    pub kind: CodeKind,
    pub category: Category,
    pub name: String,
    pub district: District,
    pub address: String,
    pub manager_name: String,
    pub manager_phone: String,
    /// For lists (R12): 王**.
    pub manager_name_masked: String,
    /// For lists (R12): 138****0001.
    pub manager_phone_masked: String,
    /// This desk serves this venue (本台服务场所).
    pub served: bool,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// The centre refused the registration (驳回): its reason. No code of it works on a phone,
    /// so the desk prints none.
    pub rejected: Option<String>,
}

impl Venue {
    /// The registration as validated (what the venue record carries).
    pub fn valid(&self) -> ValidVenue {
        ValidVenue {
            kind: self.kind,
            category: self.category,
            name: self.name.clone(),
            district: self.district,
            address: self.address.clone(),
            manager_name: self.manager_name.clone(),
            manager_phone: self.manager_phone.clone(),
        }
    }
}

/// One choice in a fixed list, for the UI's select boxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The fixed lists (R1, R2, R3) with their official labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Catalog {
    pub kinds: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub districts: Vec<Choice>,
}

impl Catalog {
    pub fn get() -> Self {
        fn choices<T: Copy>(all: &[T], key: fn(T) -> &'static str, label: fn(T) -> &'static str) -> Vec<Choice> {
            all.iter().map(|&v| Choice { value: key(v).to_owned(), label: label(v).to_owned() }).collect()
        }
        Catalog {
            kinds: choices(CodeKind::ALL, CodeKind::key, CodeKind::label),
            categories: choices(Category::ALL, Category::key, Category::label),
            districts: choices(District::ALL, District::key, District::label),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_has_all_24_categories_and_the_checkpoints_with_distinct_keys() {
        assert_eq!(Category::ALL.len(), 25);
        let keys: std::collections::HashSet<_> = Category::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(keys.len(), 25);
    }

    #[test]
    fn r3_has_kaifengs_ten_districts_and_counties() {
        assert_eq!(District::ALL.len(), 10);
        assert_eq!(District::parse("顺河回族区"), Some(District::Shunhe));
    }

    #[test]
    fn parse_accepts_key_label_and_full_width_brackets() {
        assert_eq!(Category::parse("community"), Some(Category::Community));
        assert_eq!(Category::parse("居民社区（小区）"), Some(Category::Community));
        assert_eq!(CodeKind::parse("专属场所码·交通卡口"), Some(CodeKind::Checkpoint));
        assert_eq!(CodeKind::parse("专属场所码・交通卡口"), Some(CodeKind::Checkpoint));
        assert_eq!(Category::parse("'; DROP TABLE venues;--"), None);
        assert_eq!(District::parse(""), None);
    }

    #[test]
    fn tail_key_drops_the_city_and_district_written_before_name_and_address() {
        let a = tail_key(District::Xiangfu, "祥符区豫东物流园", "开封市祥符区物流大道8号");
        assert_eq!(a, tail_key(District::Xiangfu, "豫东物流园", "物流大道8号"));
        assert_eq!(a, tail_key(District::Xiangfu, "开封市 豫东物流园", "祥符区物流大道８号"));
        // Another place: another name, another address, another district.
        assert_ne!(a, tail_key(District::Xiangfu, "豫东物流园二期", "物流大道8号"));
        assert_ne!(a, tail_key(District::Xiangfu, "豫东物流园", "物流大道18号"));
        assert_ne!(a, tail_key(District::Gulou, "豫东物流园", "物流大道8号"));
    }

    #[test]
    fn dedup_key_ignores_width_case_and_spaces() {
        let a = ValidVenue {
            kind: CodeKind::General,
            category: Category::Mall,
            name: "KFC (鼓楼店)".into(),
            district: District::Gulou,
            address: "中山路 1 号".into(),
            manager_name: "张三".into(),
            manager_phone: "13800001111".into(),
        };
        let mut b = a.clone();
        b.name = "kfc（鼓楼店）".into();
        b.address = "中山路1号".into();
        b.manager_name = "李四".into();
        assert_eq!(a.dedup_key(), b.dedup_key());
    }
}
