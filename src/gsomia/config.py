"""Node settings (pydantic-settings): read from a TOML file or the environment."""
