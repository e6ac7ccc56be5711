//! The values a plugin describes itself with and answers with.

/// The verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Unknown => "unknown",
        }
    }
}

/// What a check found: a verdict, one line for people, named facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub status: Status,
    pub summary: String,
    pub facts: Vec<(String, String)>,
}

impl CheckResult {
    pub fn new(status: Status, summary: impl Into<String>) -> CheckResult {
        CheckResult {
            status,
            summary: summary.into(),
            facts: Vec::new(),
        }
    }
    pub fn pass(summary: impl Into<String>) -> CheckResult {
        CheckResult::new(Status::Pass, summary)
    }
    pub fn fail(summary: impl Into<String>) -> CheckResult {
        CheckResult::new(Status::Fail, summary)
    }
    pub fn warn(summary: impl Into<String>) -> CheckResult {
        CheckResult::new(Status::Warn, summary)
    }
    pub fn unknown(summary: impl Into<String>) -> CheckResult {
        CheckResult::new(Status::Unknown, summary)
    }
    /// Adds a named fact.
    pub fn fact(mut self, name: impl Into<String>, value: impl ToString) -> CheckResult {
        self.facts.push((name.into(), value.to_string()));
        self
    }
    /// The value of a fact, for tests.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A parameter of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub description: String,
    pub required: bool,
}

/// A check a plugin offers.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInfo {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
}

impl CheckInfo {
    pub fn new(name: &str, description: &str) -> CheckInfo {
        CheckInfo {
            name: name.into(),
            description: description.into(),
            params: Vec::new(),
        }
    }
    pub fn required(mut self, name: &str, description: &str) -> CheckInfo {
        self.params.push(Param {
            name: name.into(),
            description: description.into(),
            required: true,
        });
        self
    }
    pub fn optional(mut self, name: &str, description: &str) -> CheckInfo {
        self.params.push(Param {
            name: name.into(),
            description: description.into(),
            required: false,
        });
        self
    }
}

/// A plugin's name, version, description and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub checks: Vec<CheckInfo>,
}

impl PluginInfo {
    pub fn new(name: &str, version: &str, description: &str) -> PluginInfo {
        PluginInfo {
            name: name.into(),
            version: version.into(),
            description: description.into(),
            checks: Vec::new(),
        }
    }
    pub fn check(mut self, check: CheckInfo) -> PluginInfo {
        self.checks.push(check);
        self
    }
}

/// The parameters of one call, `name=value`, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
    /// The value, or an error that names the missing parameter.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("missing parameter `{name}`"))
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl From<Vec<(String, String)>> for Params {
    fn from(v: Vec<(String, String)>) -> Params {
        Params(v)
    }
}
