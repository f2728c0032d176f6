"""Evidence attachments (佐证材料): content checks, file names, storage, form references, file audit."""
