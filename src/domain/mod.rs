//! Pure domain rules: no HTTP, no SQL.

/// A closed set of values stored and sent as snake_case strings, with the locale key of its
/// label (`TypeName.value`).
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($s => Some($name::$variant),)+ _ => None }
            }
            /// Locale key of the label shown to people.
            pub fn label_key(self) -> &'static str {
                match self { $($name::$variant => concat!(stringify!($name), ".", $s)),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod account;
pub mod assignment;
pub mod award;
pub mod calendar;
pub mod change;
pub mod chars;
pub mod evaluation;
pub mod limits;
pub mod money;
pub mod org;
pub mod outbox;
pub mod project;
pub mod proposal;
pub mod report;
pub mod review;
pub mod roster;
pub mod roster_sheet;
pub mod round;
pub mod sample;
pub mod session;
pub mod target;
pub mod tasks;
pub mod uscc;
pub mod verify;
pub mod visit;
