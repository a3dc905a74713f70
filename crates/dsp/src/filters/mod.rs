//! Filters: analog-prototype design and the bilinear transform ([`design`]), the parametric
//! EQ ([`eq`]), Linkwitz-Riley band splits ([`crossover`]), partitioned convolution
//! ([`convolution`]) and polyphase oversampling ([`oversampling`]).

pub mod convolution;
pub mod crossover;
pub mod design;
pub mod eq;
pub mod oversampling;
