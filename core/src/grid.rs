//! Parameter lattices: mixed-radix cell indices, never materialized.
//!
//! A lattice is a list of axes, each with a number of values (its radix). A cell is a
//! coordinate vector; its index is the mixed-radix number whose least significant digit
//! is axis 0. Converting either way is O(axes), so a lattice of any size costs
//! `MAX_DIMS` words, however many cells it has. Local search moves along the lattice's
//! edges: the neighbours of a cell are the cells one step away on one axis.

use crate::error::Error;
use heapless::Vec;

/// Most axes a lattice can have.
pub const MAX_DIMS: usize = 8;

/// Most neighbours of one cell (two per axis).
pub const MAX_NEIGHBOURS: usize = 2 * MAX_DIMS;

/// Coordinates of one cell, one digit per axis.
pub type Coords = [u16; MAX_DIMS];

/// A mixed-radix lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lattice {
    radix: [u16; MAX_DIMS],
    dims: u8,
}

impl Lattice {
    /// A lattice with the given number of values per axis.
    ///
    /// # Errors
    /// More than [`MAX_DIMS`] axes, an axis of size 0, or more than `u64::MAX` cells.
    pub fn new(radix: &[u16]) -> Result<Self, Error> {
        if radix.len() > MAX_DIMS {
            return Err(Error::CapacityExceeded {
                what: "MAX_DIMS",
                capacity: MAX_DIMS,
            });
        }
        let mut r = [1u16; MAX_DIMS];
        let mut total: u64 = 1;
        for (slot, &n) in r.iter_mut().zip(radix) {
            if n == 0 {
                return Err(Error::InvalidParameter {
                    what: "lattice axis with no values",
                });
            }
            total = total
                .checked_mul(u64::from(n))
                .ok_or(Error::InvalidParameter {
                    what: "lattice too large",
                })?;
            *slot = n;
        }
        Ok(Self {
            radix: r,
            dims: radix.len() as u8,
        })
    }

    /// Number of axes.
    #[must_use]
    pub const fn dims(&self) -> usize {
        self.dims as usize
    }

    /// Values on axis `axis` (1 for axes beyond [`Lattice::dims`]).
    #[must_use]
    pub fn radix(&self, axis: usize) -> u16 {
        self.radix.get(axis).copied().unwrap_or(1)
    }

    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.radix[..self.dims()]
            .iter()
            .map(|&n| u64::from(n))
            .product()
    }

    /// Always false: every axis has at least one value.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Index of the cell at `coords`.
    ///
    /// # Errors
    /// A coordinate outside its axis.
    pub fn index(&self, coords: &Coords) -> Result<u64, Error> {
        let mut index: u64 = 0;
        for axis in (0..self.dims()).rev() {
            let (c, n) = (coords[axis], self.radix[axis]);
            if c >= n {
                return Err(Error::InvalidParameter {
                    what: "lattice coordinate out of range",
                });
            }
            index = index * u64::from(n) + u64::from(c);
        }
        Ok(index)
    }

    /// Coordinates of cell `index`; axes beyond [`Lattice::dims`] are 0.
    ///
    /// # Errors
    /// `index >= len()`.
    pub fn coords(&self, index: u64) -> Result<Coords, Error> {
        if index >= self.len() {
            return Err(Error::InvalidParameter {
                what: "lattice index out of range",
            });
        }
        let mut coords = [0u16; MAX_DIMS];
        let mut rest = index;
        for axis in 0..self.dims() {
            let n = u64::from(self.radix[axis]);
            coords[axis] = (rest % n) as u16;
            rest /= n;
        }
        Ok(coords)
    }

    /// The neighbours of cell `index` (one step down, then up, on each axis in order),
    /// replacing the contents of `out`. The order is fixed, so searches are deterministic.
    ///
    /// # Errors
    /// `index >= len()`.
    pub fn neighbours(&self, index: u64, out: &mut Vec<u64, MAX_NEIGHBOURS>) -> Result<(), Error> {
        out.clear();
        let coords = self.coords(index)?;
        let mut stride: u64 = 1;
        for axis in 0..self.dims() {
            let (c, n) = (coords[axis], self.radix[axis]);
            // Capacity is exactly two per axis, so these pushes cannot fail.
            if c > 0 {
                let _ = out.push(index - stride);
            }
            if c + 1 < n {
                let _ = out.push(index + stride);
            }
            stride *= u64::from(n);
        }
        Ok(())
    }
}
