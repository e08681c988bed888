//! Coverage (R10): for every district × category, the venues registered, approved, with a code
//! issued, and with check-ins in the last 24 hours and 7 days; and of the places on the
//! regulator's list, how many have a venue with a live code.

use chrono::{DateTime, Utc};
use placecode_core::venue::{Category, District};

use super::text as t;
use crate::error::Result;

/// One district × category.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub district: String,
    pub category: String,
    pub registered: i64,
    pub approved: i64,
    pub with_codes: i64,
    pub active_day: i64,
    pub active_week: i64,
    /// Places on the regulator's list (应赋码), and those with a venue holding a live code.
    pub listed: i64,
    pub listed_coded: i64,
}

impl Row {
    /// 名单覆盖率: places on the list that have a live code.
    pub fn listed_share(&self) -> String {
        if self.listed == 0 {
            return "—".into();
        }
        format!("{}%", self.listed_coded * 100 / self.listed)
    }

    /// 发码率: venues with a code among those approved, as a whole percentage.
    pub fn issued_share(&self) -> String {
        if self.approved == 0 {
            return "—".into();
        }
        format!("{}%", self.with_codes * 100 / self.approved)
    }

    fn add(&mut self, r: &Row) {
        self.registered += r.registered;
        self.approved += r.approved;
        self.with_codes += r.with_codes;
        self.active_day += r.active_day;
        self.active_week += r.active_week;
        self.listed += r.listed;
        self.listed_coded += r.listed_coded;
    }
}

/// The table: rows by district then category (labels in Chinese), each district's subtotal
/// after its rows, and the total.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub rows: Vec<Line>,
    pub total: Row,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum Line {
    Row(Row),
    Subtotal(Row),
}

type Counted = (String, String, i64, i64, i64, i64, i64, i64, i64);

/// The coverage of one district (`Some`) or of all of them, read from `db` (the tracing replica
/// when there is one).
pub async fn table(db: &sqlx::PgPool, district: Option<District>, now: DateTime<Utc>) -> Result<Table> {
    let counted: Vec<Counted> = sqlx::query_as(&format!(
        "WITH active AS (
             SELECT venue_id, max(last_at) AS last_at
             FROM (SELECT * FROM venue_seen UNION ALL SELECT * FROM venue_seen_new) s
             GROUP BY venue_id HAVING max(last_at) > $2 - interval '7 days'
         ), registered AS (
             SELECT v.district, v.category, count(*) AS registered,
                    count(*) FILTER (WHERE v.status = 'approved') AS approved,
                    count(*) FILTER (WHERE v.status = 'approved' AND EXISTS
                        (SELECT 1 FROM codes c WHERE c.venue_id = v.id AND c.revoked_at IS NULL)) AS with_codes,
                    count(a.venue_id) FILTER (WHERE v.status = 'approved' AND a.last_at > $2 - interval '24 hours')
                        AS active_day,
                    count(a.venue_id) FILTER (WHERE v.status = 'approved') AS active_week, 0 AS listed,
                    0 AS listed_coded
             FROM venues v LEFT JOIN active a ON a.venue_id = v.id
             WHERE $1::text IS NULL OR v.district = $1
             GROUP BY v.district, v.category
         ), listed AS (
             SELECT p.district, p.category, 0, 0, 0, 0, 0, count(*),
                    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM venues v JOIN codes c ON c.venue_id = v.id
                        WHERE {is_the_place} AND v.status = 'approved' AND c.revoked_at IS NULL))
             FROM reference_places p
             WHERE $1::text IS NULL OR p.district = $1
             GROUP BY p.district, p.category
         )
         SELECT district, category, sum(registered)::bigint, sum(approved)::bigint, sum(with_codes)::bigint,
                sum(active_day)::bigint, sum(active_week)::bigint, sum(listed)::bigint, sum(listed_coded)::bigint
         FROM (SELECT * FROM registered UNION ALL SELECT * FROM listed) x
         GROUP BY district, category",
        is_the_place = super::places::IS_THE_PLACE
    ))
    .bind(district.map(District::key))
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(arrange(counted, now))
}

/// Sorted as the districts and categories are listed in the core; keys the core does not know
/// (none should exist) are shown as stored, last.
fn arrange(counted: Vec<Counted>, at: DateTime<Utc>) -> Table {
    let district_order = |k: &str| District::ALL.iter().position(|d| d.key() == k).unwrap_or(usize::MAX);
    let category_order = |k: &str| Category::ALL.iter().position(|c| c.key() == k).unwrap_or(usize::MAX);
    let mut counted = counted;
    counted.sort_by(|a, b| {
        (district_order(&a.0), &a.0, category_order(&a.1), &a.1).cmp(&(
            district_order(&b.0),
            &b.0,
            category_order(&b.1),
            &b.1,
        ))
    });
    let mut table = Table { at, ..Table::default() };
    let mut current: Option<(String, Row)> = None;
    for (district, category, registered, approved, with_codes, active_day, active_week, listed, listed_coded) in counted
    {
        let row = Row {
            district: District::parse(&district).map_or_else(|| district.clone(), |d| d.label().to_owned()),
            category: Category::parse(&category).map_or(category, |c| c.label().to_owned()),
            registered,
            approved,
            with_codes,
            active_day,
            active_week,
            listed,
            listed_coded,
        };
        if current.as_ref().is_some_and(|(d, _)| *d != district) {
            if let Some((_, sub)) = current.take() {
                table.rows.push(Line::Subtotal(sub));
            }
        }
        let (_, sub) = current.get_or_insert_with(|| {
            (district.clone(), Row { district: row.district.clone(), category: t::SUBTOTAL.into(), ..Row::default() })
        });
        sub.add(&row);
        table.total.add(&row);
        table.rows.push(Line::Row(row));
    }
    if let Some((_, sub)) = current {
        table.rows.push(Line::Subtotal(sub));
    }
    table.total.district = t::TOTAL.into();
    table
}

/// The table as an Excel workbook, with its Chinese headers.
pub fn xlsx(table: &Table) -> Result<Vec<u8>> {
    use super::export::{Cell, Sheet};
    let lines = table.rows.iter().map(|l| match l {
        Line::Row(r) => (r, false),
        Line::Subtotal(r) => (r, true),
    });
    let rows = lines
        .chain(std::iter::once((&table.total, true)))
        .map(|(r, strong)| {
            let cells: Vec<Cell> = vec![
                r.district.as_str().into(),
                r.category.as_str().into(),
                r.registered.into(),
                r.approved.into(),
                r.with_codes.into(),
                r.issued_share().into(),
                r.active_day.into(),
                r.active_week.into(),
                r.listed.into(),
                r.listed_coded.into(),
                r.listed_share().into(),
            ];
            (cells, strong)
        })
        .collect();
    super::export::workbook(vec![Sheet { name: t::COVERAGE_SHEET, headers: &t::COVERAGE_HEADERS, rows }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(d: &str, c: &str, n: i64) -> Counted {
        (d.into(), c.into(), n, n, n - 1, 1, 2, n + 1, n - 1)
    }

    #[test]
    fn rows_come_in_the_cores_order_with_a_subtotal_per_district_and_a_total() {
        let t = arrange(
            vec![counted("gulou", "school", 3), counted("longting", "mall", 5), counted("gulou", "mall", 2)],
            Utc::now(),
        );
        let shown: Vec<(bool, String, String, i64)> = t
            .rows
            .iter()
            .map(|l| match l {
                Line::Row(r) => (false, r.district.clone(), r.category.clone(), r.registered),
                Line::Subtotal(r) => (true, r.district.clone(), r.category.clone(), r.registered),
            })
            .collect();
        let expected: Vec<(bool, String, String, i64)> = vec![
            (false, "鼓楼区".into(), "商场超市".into(), 2),
            (false, "鼓楼区".into(), "学校及校外培训机构".into(), 3),
            (true, "鼓楼区".into(), "小计".into(), 5),
            (false, "龙亭区".into(), "商场超市".into(), 5),
            (true, "龙亭区".into(), "小计".into(), 5),
        ];
        assert_eq!(shown, expected);
        assert_eq!((t.total.registered, t.total.with_codes, t.total.district.as_str()), (10, 7, "合计"));
        assert_eq!(t.total.issued_share(), "70%");
        assert_eq!((t.total.listed, t.total.listed_share()), (13, "53%".to_owned()));
        assert_eq!(Row::default().issued_share(), "—");
    }
}
