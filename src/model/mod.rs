//! The site model: reports, units, and the indexes by unit, year and type.

mod beside;
mod date;
mod report;
mod site;

pub use beside::Beside;
pub use date::{DATE_HELP, ReportDate};
pub use report::{Alias, AliasTarget, AttachmentRisk, ContentFile, Report, SourceStamp};
pub use site::{RESERVED_TOP, Site, Unit, risky_attachments};
