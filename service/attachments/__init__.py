"""Evidence attachments (佐证材料, issue 9): content checks, file names, storage, form references, file audit."""
