//! Choice parameters from one table each: [`choice!`](crate::choice) declares the enum a host
//! shows as a list (each variant's saved ID and display name) and, for a choice that mirrors a
//! `lathe-dsp` enum, the conversions both ways, so the table is the only place a variant is
//! written down.

/// Declares a choice parameter's enum (deriving nice-plug's `Enum`) from a table of
/// `Variant = ("saved id", "Display name")`; with `mirrors DspEnum`, each row also names the DSP
/// variant (`=> DspVariant`) and `From` conversions both ways are generated.
///
/// The IDs are what saved states hold: never change one. nice-plug's `Enum` derive refers to
/// its trait unqualified, so `nice_plug::prelude::Enum` must be in scope where this is used.
///
/// ```
/// use nice_plug::prelude::Enum;
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum Mode {
///     Fast,
///     Slow,
/// }
///
/// lathe_params::choice! {
///     /// Mode as a parameter.
///     pub enum ModeChoice mirrors Mode {
///         /// Quick.
///         Quick = ("fast", "Quick") => Fast,
///         /// Gentle.
///         Gentle = ("slow", "Gentle") => Slow,
///     }
/// }
///
/// assert_eq!(Mode::from(ModeChoice::Gentle), Mode::Slow);
/// assert_eq!(ModeChoice::from(Mode::Fast), ModeChoice::Quick);
/// ```
#[macro_export]
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident mirrors $dsp:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($id:literal, $label:literal) => $dspv:ident ),+ $(,)?
        }
    ) => {
        $crate::choice! {
            $(#[$meta])*
            pub enum $name {
                $( $(#[$vmeta])* $variant = ($id, $label) ),+
            }
        }

        impl From<$name> for $dsp {
            fn from(c: $name) -> Self {
                match c {
                    $( $name::$variant => $dsp::$dspv ),+
                }
            }
        }

        impl From<$dsp> for $name {
            fn from(d: $dsp) -> Self {
                match d {
                    $( $dsp::$dspv => $name::$variant ),+
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($id:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(nice_plug::prelude::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* #[id = $id] #[name = $label] $variant ),+
        }
    };
}
