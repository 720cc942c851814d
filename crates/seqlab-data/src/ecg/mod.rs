//! ECG data: the Kaggle heartbeat CSVs, `.npz` records, R-peak detection,
//! Kachuee beat extraction and next-window forecasting windows.

pub mod beats;
pub mod filters;
pub mod kaggle;
pub mod npz;
pub mod pan_tompkins;
pub mod record;
pub mod synthetic;
