//! Filters: analog-prototype design and the bilinear transform ([`design`]), the parametric
//! EQ ([`eq`]), partitioned convolution ([`convolution`]) and polyphase oversampling
//! ([`oversampling`]).

pub mod convolution;
pub mod design;
pub mod eq;
pub mod oversampling;
