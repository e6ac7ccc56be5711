//! Terminal facts: colour only on a terminal, never with `NO_COLOR`.

use std::io::IsTerminal;

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

pub fn color_stdout() -> bool {
    !no_color() && std::io::stdout().is_terminal()
}

pub fn color_stderr() -> bool {
    !no_color() && std::io::stderr().is_terminal()
}
