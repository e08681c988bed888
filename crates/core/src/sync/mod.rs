//! The desk ↔ central sync protocol (`docs/sync.md`): the wire types both ends share, and the
//! checks a pushed record must pass. The server applies these same rules to what a desk sends,
//! so a record the desk would refuse is refused there too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checkin;
use crate::decision::Colour;
use crate::identity::DocumentKind;

mod check;
pub use check::*;

/// At most this many records in one push.
pub const MAX_BATCH: usize = 5000;
/// At most this many bytes in one push body (after decompression).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// A clock further off than this is shown on the desk as a warning.
pub const CLOCK_WARN_MS: i64 = 60_000;
/// A clock further off than this is refused until it is fixed.
pub const CLOCK_REFUSE_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub token: String,
    pub desk_id: String,
    pub desk_name: String,
    pub code_key: CodeKeyWire,
    #[serde(default)]
    pub app_version: String,
}

/// A desk's code-signing key as registered at enrolment (`docs/codes.md`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeKeyWire {
    pub id: u32,
    pub secret_hex: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub desk_id: String,
    pub credential: String,
    pub risk_key_hex: String,
    /// Venues the desk may write records for.
    pub venues: Vec<String>,
    /// Districts in which the desk may register new venues.
    pub districts: Vec<String>,
    pub server_time: DateTime<Utc>,
    /// The address the centre's phone pages are published at (what posters must print).
    #[serde(default)]
    pub public_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Venue,
    Code,
    CodeRevoked,
    Visit,
    Incident,
    IncidentEvent,
    TruckTrip,
    TruckArrival,
    TripUpdate,
    /// A venue's limit (限流) set or removed at its desk.
    VenueLimit,
    /// 离场: check-ins closed at the desk.
    Departure,
}

impl RecordKind {
    pub fn key(self) -> &'static str {
        match self {
            RecordKind::Venue => "venue",
            RecordKind::Code => "code",
            RecordKind::CodeRevoked => "code_revoked",
            RecordKind::Visit => "visit",
            RecordKind::Incident => "incident",
            RecordKind::IncidentEvent => "incident_event",
            RecordKind::TruckTrip => "truck_trip",
            RecordKind::TruckArrival => "truck_arrival",
            RecordKind::TripUpdate => "trip_update",
            RecordKind::VenueLimit => "venue_limit",
            RecordKind::Departure => "departure",
        }
    }

    /// Push order (`docs/sync.md`): venues and codes first (few, and what the rest refer to),
    /// then incidents (urgent), then check-ins, then the rest.
    pub fn priority(self) -> u8 {
        match self {
            RecordKind::Venue | RecordKind::Code | RecordKind::CodeRevoked | RecordKind::VenueLimit => 0,
            RecordKind::Incident | RecordKind::IncidentEvent => 1,
            RecordKind::Visit => 2,
            RecordKind::TruckTrip | RecordKind::TruckArrival | RecordKind::TripUpdate | RecordKind::Departure => 3,
        }
    }
}

/// One record as the desk pushes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub kind: RecordKind,
    pub written_at: DateTime<Utc>,
    #[serde(default)]
    pub clock_offset_ms: i64,
    pub body: serde_json::Value,
}

impl Record {
    /// What "the same content" means for idempotency: kind, time and body, not the offset
    /// (a resend measures a new one). Object keys are hashed in sorted order, so a body
    /// re-serialised with its keys in another order is the same record.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.kind.key().as_bytes());
        h.update([0]);
        h.update(self.written_at.timestamp_micros().to_be_bytes());
        canonical(&self.body, &mut h);
        h.finalize().into()
    }
}

/// Feeds `v` to the hash with every object's keys sorted (serde_json may keep insertion order).
fn canonical(v: &serde_json::Value, h: &mut Sha256) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            h.update(b"{");
            for k in keys {
                h.update(serde_json::Value::String(k.clone()).to_string().as_bytes());
                h.update(b":");
                canonical(&map[k], h);
                h.update(b",");
            }
            h.update(b"}");
        }
        Value::Array(items) => {
            h.update(b"[");
            for i in items {
                canonical(i, h);
                h.update(b",");
            }
            h.update(b"]");
        }
        other => h.update(other.to_string().as_bytes()),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub batch_id: String,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    Stored,
    Duplicate,
    Rejected,
    Conflict,
}

/// A venue's review (R3): approved, or rejected with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueDecision {
    pub venue_id: String,
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub id: String,
    pub status: PushStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a venue record: the review decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<VenueDecision>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    pub server_time: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub kind: ChangeKind,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    pub cursor: i64,
    pub more: bool,
    pub server_time: DateTime<Utc>,
}

/// What a pulled change is: one type for the centre that writes it and the desk that applies
/// it. On the wire (and in the centre's `changes.kind`) its snake_case key; a kind a newer
/// centre sends and this desk does not know is `Unknown` and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new epoch of door tags with every yellow and red tag (`risk::Epoch`): the desk drops all
    /// it had and takes these. Replaces the whole history of the list.
    RiskEpoch,
    /// One door tag's colour within an epoch (green: no longer listed).
    RiskTag,
    /// The colour kept for the people whose door tag is `tag` (赋色保持 raised at another desk or
    /// on a phone), within an epoch. Green: none is kept any more.
    RaisedTag,
    /// The centre's review of a venue (approved or rejected, with the reason).
    VenueDecision,
    /// A check-in on a phone at one of the desk's venues.
    PhoneVisit,
    /// Another desk's check-in at a venue this desk serves too.
    Visit,
    /// A truck trip bound for (or opened at) one of the desk's venues.
    Trip,
    /// A registered destination venue (for the checkpoint's list).
    Destination,
    /// A crew member's pre-declaration at a checkpoint.
    PreDeclaration,
    /// Another desk's incident at a shared venue (kept at the centre; desks do not apply it).
    Incident,
    /// A 限流令 given or lifted by a district's or the city's office (`LimitOrderBody`).
    LimitOrder,
    /// A green check-in of this desk's venue whose person the centre held as yellow or red when
    /// it arrived (`LateHitBody`): let in on a stale list or offline, to be reported.
    LateHit,
    /// A venue the centre holds, for a desk enrolled for it (`VenueBody`): a second desk at a
    /// known venue, or the desk of a refused twin, serves it from then on.
    Venue,
    #[serde(other)]
    Unknown,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 13] = [
        ChangeKind::RiskEpoch,
        ChangeKind::RiskTag,
        ChangeKind::RaisedTag,
        ChangeKind::VenueDecision,
        ChangeKind::PhoneVisit,
        ChangeKind::Visit,
        ChangeKind::Trip,
        ChangeKind::Destination,
        ChangeKind::PreDeclaration,
        ChangeKind::Incident,
        ChangeKind::LimitOrder,
        ChangeKind::LateHit,
        ChangeKind::Venue,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ChangeKind::RiskEpoch => "risk_epoch",
            ChangeKind::RiskTag => "risk_tag",
            ChangeKind::RaisedTag => "raised_tag",
            ChangeKind::VenueDecision => "venue_decision",
            ChangeKind::PhoneVisit => "phone_visit",
            ChangeKind::Visit => "visit",
            ChangeKind::Trip => "trip",
            ChangeKind::Destination => "destination",
            ChangeKind::PreDeclaration => "pre_declaration",
            ChangeKind::Incident => "incident",
            ChangeKind::LimitOrder => "limit_order",
            ChangeKind::LateHit => "late_hit",
            ChangeKind::Venue => "venue",
            ChangeKind::Unknown => "unknown",
        }
    }

    /// The kind of a stored key; `Unknown` for any other.
    pub fn from_key(key: &str) -> ChangeKind {
        ChangeKind::ALL.into_iter().find(|k| k.key() == key).unwrap_or(ChangeKind::Unknown)
    }

    /// A change of the risk list itself (the desk notes when its list was last brought up to date).
    pub fn is_risk_list(self) -> bool {
        matches!(self, ChangeKind::RiskEpoch | ChangeKind::RiskTag)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskEpochBody {
    #[serde(flatten)]
    pub epoch: crate::risk::Epoch,
    pub tags: crate::risk::TagSnapshot,
    /// The colours kept for people (赋色保持) in this epoch's tags.
    #[serde(default)]
    pub raised: Vec<RaisedTag>,
}

/// A kept colour by door tag: the highest colour and the latest end of the people who share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaisedTag {
    pub tag: u32,
    pub colour: crate::decision::Colour,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaisedTagBody {
    pub epoch: i64,
    #[serde(flatten)]
    pub raised: RaisedTag,
    /// Someone with this tag was cleared by the epidemic office: a desk also drops the colour it
    /// kept itself for people of this tag.
    #[serde(default)]
    pub cleared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskTagBody {
    pub epoch: i64,
    pub tag: u32,
    pub colour: crate::decision::Colour,
}

/// `POST /api/v1/risk/confirm`: a desk whose door tag matched asks whether this person is listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RiskConfirmRequest {
    /// The person's document number, as the desk has it at the door (the centre finds people by
    /// a keyed hash only it knows, so it is asked with the number itself, over TLS).
    pub document_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskConfirmResponse {
    /// Yellow or red when listed; absent when not.
    pub colour: Option<crate::decision::Colour>,
    /// The colour kept for this person (赋色保持), if any.
    #[serde(default)]
    pub raised: Option<crate::decision::Raised>,
}

/// Every error the API answers: a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

// ---- record bodies -------------------------------------------------------------------------

/// A venue as the desk registered it (kind `venue`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VenueBody {
    pub venue_id: String,
    #[serde(flatten)]
    pub input: crate::venue::VenueInput,
    /// 监督电话 as the desk's posters print it; the phone page names it on yellow and red.
    #[serde(default)]
    pub supervision_phone: String,
}

/// A code the desk issued (kind `code`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeBody {
    pub code: String,
    pub venue_id: String,
    pub label: String,
    /// The entrance takes only its 扫码屏's rotating code (sent again when the venue changes it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rotating_only: bool,
}

/// A venue's limit (kind `venue_limit`): set, or removed (`None`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VenueLimitBody {
    pub venue_id: String,
    #[serde(default)]
    pub limit: Option<crate::occupancy::Limit>,
}

/// A 限流令 given or lifted at the centre (change kind `limit_order`, pulled by every desk):
/// A check-in let in green whose person the centre held as `colour` (yellow or red) when the visit
/// reached it (kind `late_hit`, for the venue's desks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateHitBody {
    pub visit_id: String,
    pub colour: crate::decision::Colour,
}

/// `percent` none lifts the order over `district` (none: the whole city); `by_city`: the city's
/// order over the district, kept apart from the district's own (`occupancy::Order::scope_of`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitOrderBody {
    #[serde(default)]
    pub district: Option<crate::venue::District>,
    #[serde(default)]
    pub by_city: bool,
    #[serde(default)]
    pub percent: Option<u32>,
    pub at: DateTime<Utc>,
}

/// 离场 at a desk (kind `departure`): the check-ins it closed (ids of visits the centre holds,
/// the desk's own or pulled from a phone), and when. No personal data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartureBody {
    pub venue_id: String,
    pub visit_ids: Vec<String>,
    pub at: DateTime<Utc>,
}

/// The most check-ins one 离场 closes (a person checked in again and again without leaving).
pub const DEPARTURE_VISITS_MAX: usize = 50;

/// A code the desk revoked (kind `code_revoked`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRevokedBody {
    pub code: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub replaced_by: Option<String>,
}

/// The person a visit is for, as the desk holds them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonBody {
    #[serde(default = "resident")]
    pub document_kind: DocumentKind,
    pub document_number: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: Option<String>,
}

fn resident() -> DocumentKind {
    DocumentKind::ResidentId
}

/// A check-in (kind `visit`), decided at the desk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitBody {
    pub venue_id: String,
    #[serde(default)]
    pub code: Option<String>,
    pub person: PersonBody,
    pub way_in: String,
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub helper: Option<String>,
    pub colour: Colour,
    pub health_code: Colour,
    #[serde(default)]
    pub reasons: Vec<String>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub trip_code_checked: bool,
    /// A colour this check-in raised, kept for the person until then (R7: 赋色保持).
    #[serde(default)]
    pub raised: Option<crate::decision::Raised>,
    /// Made with a live 扫码屏 code on the person's phone (到场核验).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub present: bool,
}

/// A check-in a phone made at one of the desk's venues, as the desk pulls it (change
/// `phone_visit`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneVisitChange {
    pub id: String,
    #[serde(flatten)]
    pub visit: VisitBody,
}

/// A check-in another desk made at one of this desk's venues, as it pushed it (change `visit`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeskVisitChange {
    pub id: String,
    pub visit: VisitBody,
}

/// 异常处置 (kind `incident`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentBody {
    pub visit_id: String,
    pub venue_id: String,
    pub colour: Colour,
    pub reason: String,
    pub held_at: String,
    pub reported_to: String,
    pub status: String,
    pub at: DateTime<Utc>,
    /// For a release: the reason and note.
    #[serde(default)]
    pub note: String,
    /// Who decided, as the desk names its operator.
    #[serde(default)]
    pub operator: Option<String>,
}

/// An incident's status moving forward (kind `incident_event`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentEventBody {
    pub incident_id: String,
    pub venue_id: String,
    pub status: String,
    #[serde(default)]
    pub note: String,
    pub at: DateTime<Utc>,
}

/// A truck trip opened at a checkpoint or an arrival at a destination (kinds `truck_trip`,
/// `truck_arrival`): the crew's declarations and where the trip goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruckBody {
    pub venue_id: String,
    pub plate: String,
    #[serde(default)]
    pub destination_venue_id: Option<String>,
    #[serde(default)]
    pub trip_id: Option<String>,
    #[serde(default)]
    pub crew: Vec<checkin::TruckDeclarationInput>,
    /// 电子通行证号, when the crew has one.
    #[serde(default)]
    pub pass_number: String,
    pub at: DateTime<Utc>,
}

/// A trip resolved at its checkpoint (kind `trip_update`): 到达核验, 劝返 or 作废, with the note.
/// Queued after the trip it names, so the centre always has the trip first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripUpdateBody {
    /// The checkpoint (only it resolves its trips).
    pub venue_id: String,
    pub trip_id: String,
    pub resolution: checkin::TripResolution,
    pub note: String,
    /// Who resolved it (the signed-in operator's name).
    #[serde(default)]
    pub operator: Option<String>,
    pub at: DateTime<Utc>,
}

/// A destination venue the centre approved, as every checkpoint desk lists it to name a trip's
/// destination (change kind `destination`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationChange {
    pub venue_id: String,
    pub name: String,
    pub address: String,
    /// The district's key.
    pub district: String,
}

/// A crew member's declaration on their own phone at a checkpoint (change kind
/// `pre_declaration`, sealed at the centre): the checkpoint's desks find it by plate and confirm
/// it; only the confirmed entry is a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreDeclarationChange {
    pub id: String,
    pub venue_id: String,
    pub plate: String,
    pub crew: Vec<checkin::TruckDeclarationInput>,
    pub at: DateTime<Utc>,
    /// The destination the crew named, when it is one the centre knows.
    #[serde(default)]
    pub destination_id: Option<String>,
}

/// A trip as the centre publishes it to the checkpoint's and the destination's desks (change
/// kind `trip`): the crew masked but reachable by phone, and what became of the trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripChange {
    pub trip_id: String,
    pub plate: String,
    pub checkpoint_venue_id: String,
    #[serde(default)]
    pub checkpoint_name: Option<String>,
    pub destination_venue_id: String,
    #[serde(default)]
    pub destination_name: Option<String>,
    #[serde(default)]
    pub crew: Vec<TripCrew>,
    #[serde(default)]
    pub pass_number: String,
    pub entered_at: DateTime<Utc>,
    #[serde(default)]
    pub expected_departure: Option<DateTime<Utc>>,
    #[serde(default)]
    pub arrived_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolution: Option<checkin::TripResolution>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolution_note: String,
}

/// A crew member in a published trip.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TripCrew {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub document_masked: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub origin: String,
    /// The first [`TRIP_HASH_HEX`] hex digits of the desk key's HMAC of the document number:
    /// enough for the destination to find the trip by an ID among those it expects, never
    /// enough to name the person (every desk holds the key).
    #[serde(default)]
    pub id_hash_hex: String,
}

/// How much of a crew member's keyed hash a trip carries to the other desk: 16 bits. With the
/// last four digits that a masked number shows, about 150 ID numbers of Henan share both.
pub const TRIP_HASH_HEX: usize = 4;

#[cfg(test)]
mod change_kind_tests {
    use super::ChangeKind;

    #[test]
    fn a_change_kind_is_its_key_on_the_wire_and_an_unknown_one_is_skipped() {
        for k in ChangeKind::ALL {
            assert_eq!(serde_json::to_value(k).ok(), Some(serde_json::Value::String(k.key().into())));
            assert_eq!(ChangeKind::from_key(k.key()), k);
        }
        let later: ChangeKind = serde_json::from_str("\"occupancy\"").unwrap_or(ChangeKind::RiskTag);
        assert_eq!(later, ChangeKind::Unknown);
        assert_eq!(ChangeKind::from_key("'; DROP TABLE changes; --"), ChangeKind::Unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T08:00:00Z").unwrap().with_timezone(&Utc)
    }

    /// A walk-up crew refused for its origin (the bug of an older desk that wrote 来源地：…):
    /// corrected on the member's own field by the truck rule, and only there.
    #[test]
    fn a_refused_crew_members_origin_is_corrected_by_the_truck_rule() {
        let member = json!({
            "name": "孙建军", "document_kind": "resident_id", "document_number": "410202199003070014",
            "plate": "豫B88888", "phone": "13837800088", "origin": "来源地：郑州", "entry_point": "开封东",
            "expected_return": "", "expected_departure": "", "symptoms": false, "visited_risk_area": false,
        });
        let mut other = member.clone();
        other["document_number"] = "11010519491231002X".into();
        let record = Record {
            id: "0193a000-0000-7000-8000-0000000000aa".into(),
            kind: RecordKind::TruckTrip,
            written_at: now(),
            clock_offset_ms: 0,
            body: json!({
                "venue_id": "0193a000-0000-7000-8000-000000000001", "plate": "豫B88888",
                "destination_venue_id": "0193a000-0000-7000-8000-000000000002",
                "crew": [member.clone(), other], "pass_number": "", "at": "2026-11-27T07:00:00Z",
            }),
        };
        let refused = check_content(&record, now()).unwrap_err();
        assert_eq!(refused.field, "crew.0.origin");
        assert!(correctable(&record, "crew.0.origin"));
        // Still bad: the same rule says why, on the value being corrected.
        let again = correct(&record, "crew.0.origin", "郑州<script>", now()).unwrap_err();
        assert_eq!(again.field, "value");
        assert!(again.message.starts_with("来源地："), "{}", again.message);
        // The first member fixed, the second is refused next, by its own field.
        let (fixed, next) = correct(&record, "crew.0.origin", "郑州", now()).unwrap();
        assert_eq!(fixed.body["crew"][0]["origin"], "郑州");
        assert_eq!(next.map(|n| n.field).as_deref(), Some("crew.1.origin"));
        let (fixed, next) = correct(&fixed, "crew.1.origin", "郑州", now()).unwrap();
        assert!(next.is_none());
        check_content(&fixed, now()).unwrap();
        // Never an id, a document number, a time, or a path that is not there.
        for field in ["venue_id", "crew.0.document_number", "at", "crew.5.origin", "crew.0.origin.x", "crew"] {
            assert!(!correctable(&record, field), "{field}");
            assert_eq!(correct(&record, field, "x", now()).unwrap_err().field, "value");
        }
    }

    /// A truck's entry carries 1 to 10 crew, the checkpoint form's rule; an arrival names the
    /// truck and carries none.
    #[test]
    fn a_trucks_entry_carries_one_to_ten_crew() {
        let member = |i: usize| {
            json!({
                "name": "孙建军", "document_kind": "passport", "document_number": format!("E123456{i:02}"),
                "plate": "豫B88888", "phone": "13837800088", "origin": "郑州", "entry_point": "开封东",
                "expected_return": "", "expected_departure": "", "symptoms": false, "visited_risk_area": false,
            })
        };
        let record = |kind: RecordKind, n: usize| Record {
            id: "0193a000-0000-7000-8000-0000000000ab".into(),
            kind,
            written_at: now(),
            clock_offset_ms: 0,
            body: json!({
                "venue_id": "0193a000-0000-7000-8000-000000000001", "plate": "豫B88888",
                "destination_venue_id": "0193a000-0000-7000-8000-000000000002",
                "crew": (0..n).map(member).collect::<Vec<_>>(), "pass_number": "", "at": "2026-11-27T07:00:00Z",
            }),
        };
        let field = |r: Record| check_content(&r, now()).err().map(|e| (e.field, e.message));
        let refused = Some(("crew".to_owned(), format!("司乘人员：应为1至{}人", checkin::CREW_MAX)));
        assert_eq!(field(record(RecordKind::TruckTrip, 0)), refused);
        assert_eq!(field(record(RecordKind::TruckTrip, 1)), None);
        assert_eq!(field(record(RecordKind::TruckTrip, 10)), None);
        assert_eq!(field(record(RecordKind::TruckTrip, 11)), refused);
        assert_eq!(field(record(RecordKind::TruckArrival, 0)), None);
        assert_eq!(field(record(RecordKind::TruckArrival, 11)).map(|f| f.0).as_deref(), Some("crew"));
        // One person, one place on the crew: the desk's rule.
        let mut twice = record(RecordKind::TruckTrip, 2);
        twice.body["crew"][1]["document_number"] = "E12345600".into();
        assert_eq!(field(twice), Some(("crew.1.document_number".to_owned(), checkin::CREW_REPEATED.to_owned())));
    }

    fn visit(person: serde_json::Value) -> VisitBody {
        serde_json::from_value(json!({
            "venue_id": "0193a000-0000-7000-8000-000000000001", "way_in": "last4", "colour": "green",
            "health_code": "green", "at": "2026-11-27T07:00:00Z", "person": person,
        }))
        .unwrap()
    }

    #[test]
    fn a_visit_is_checked_with_the_desks_rules() {
        let ok = visit(
            json!({"document_number": "１１０１０５１９４９１２３１００２ｘ", "name": "王建国", "address": "开封市鼓楼区中山路1号"}),
        );
        let c = check_visit(&ok, now()).unwrap();
        assert_eq!(c.document_number, "11010519491231002X");
        assert_eq!(c.last4, "002X");
        let rare = visit(json!({"document_number": "11010519491231002X", "name": "𠈌𠀀"}));
        assert_eq!(check_visit(&rare, now()).unwrap().name, "𠈌𠀀");
        for (person, field) in [
            (json!({"document_number": "110105194912310021", "name": "王建国"}), "person.document_number"),
            (json!({"document_number": "11010519491231002X", "name": "<b>王</b>"}), "person.name"),
            (json!({"document_number": "11010519491231002X", "name": "王😀"}), "person.name"),
            (json!({"document_number": "11010519491231002X", "name": "x".repeat(10_000)}), "person.name"),
            (
                json!({"document_number": "11010519491231002X", "name": "王建国", "address": "'; DROP TABLE visits; --"}),
                "person.address",
            ),
            (json!({"document_number": "11010519491231002X", "name": "王建国", "phone": "12345"}), "person.phone"),
        ] {
            let e = check_visit(&visit(person.clone()), now()).unwrap_err();
            assert_eq!(e.field, field, "{person}");
            assert!(!e.message.is_empty() && !e.message.contains("DROP"), "{}", e.message);
        }
    }

    #[test]
    fn times_far_ahead_or_long_ago_are_refused() {
        let mut v = visit(json!({"document_number": "11010519491231002X", "name": "王建国"}));
        v.at = now() + chrono::Duration::hours(25);
        assert_eq!(check_visit(&v, now()).unwrap_err().field, "at");
        v.at = now() + chrono::Duration::hours(5);
        assert!(check_visit(&v, now()).is_ok(), "a desk clock hours off is tolerated");
        v.at = now() - chrono::Duration::days(400);
        assert_eq!(check_visit(&v, now()).unwrap_err().field, "at");
    }

    #[test]
    fn the_digest_ignores_the_offset_but_not_the_content() {
        let r = Record {
            id: "a".into(),
            kind: RecordKind::Visit,
            written_at: now(),
            clock_offset_ms: 0,
            body: json!({"b": 1, "a": [1, 2]}),
        };
        let mut again = r.clone();
        again.clock_offset_ms = 5000;
        again.body = json!({"a": [1, 2], "b": 1});
        assert_eq!(r.digest(), again.digest(), "key order and the measured offset do not matter");
        again.body = json!({"a": [2, 1], "b": 1});
        assert_ne!(r.digest(), again.digest());
    }

    #[test]
    fn bodies_of_the_wrong_shape_are_named_without_echoing_them() {
        let r = Record {
            id: "a".into(),
            kind: RecordKind::Visit,
            written_at: now(),
            clock_offset_ms: 0,
            body: json!({"venue_id": 12, "person": {"name": "王建国秘密"}}),
        };
        let e = body::<VisitBody>(&r).unwrap_err();
        assert_eq!(e.field, "body");
        assert!(e.message.starts_with("记录内容格式不对") && !e.message.contains("王建国秘密"), "{}", e.message);
        assert_eq!(record_id("not-a-uuid").unwrap_err().field, "id");
        // In Chinese, naming what the type expects, never the value sent.
        let update = |body| Record { kind: RecordKind::TripUpdate, body, ..r.clone() };
        let e = body::<TripUpdateBody>(&update(json!({"venue_id": "v", "trip_id": "t", "resolution": "王建国秘密",
            "note": "n", "at": "2026-11-29T00:00:00Z"})))
        .unwrap_err();
        assert_eq!(e.message, "记录内容格式不对：有不是可选的取值（应为 verified, turned_back, cancelled）");
        let e = body::<TripUpdateBody>(&update(json!({"venue_id": "v", "trip_id": "t", "resolution": "verified",
            "at": "2026-11-29T00:00:00Z"})))
        .unwrap_err();
        assert_eq!(e.message, "记录内容格式不对：缺少字段 note");
        let e = body::<TripUpdateBody>(&update(json!({"venue_id": 1, "trip_id": "t", "resolution": "verified",
            "note": "n", "at": "2026-11-29T00:00:00Z"})))
        .unwrap_err();
        assert_eq!(e.message, "记录内容格式不对：某个字段的类型不对");
    }

    #[test]
    fn free_text_has_a_length_and_no_control_characters() {
        assert!(text("note", "备注", "正常'\"<>&😀𠀀", 20).is_ok());
        assert!(text("note", "备注", &"长".repeat(201), 200).unwrap_err().message.contains("不能超过200个字"));
        assert_eq!(text("note", "备注", "a\u{0}b", 20), Err(refuse("note", "备注：含有控制字符")));
    }
}
