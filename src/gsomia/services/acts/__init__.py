"""The agreement's acts: what a party does with classified military information under it."""
