//! Filters: analog-prototype design and the bilinear transform ([`design`]), the parametric
//! EQ ([`eq`]) and its linear-phase mode ([`linear_eq`] on [`linear_phase`]), Linkwitz-Riley
//! band splits ([`crossover`]) and their linear-phase counterpart ([`linear_crossover`]),
//! partitioned convolution
//! ([`convolution`]) and polyphase oversampling ([`oversampling`]).

pub mod convolution;
pub mod crossover;
pub mod design;
pub mod eq;
pub mod linear_crossover;
pub mod linear_eq;
pub mod linear_phase;
pub mod oversampling;
