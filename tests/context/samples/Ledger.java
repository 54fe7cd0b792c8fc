package com.example.ledger;

import java.util.List;

/** A ledger of entries. */
public class Ledger {
    /** The largest amount accepted. */
    public static final long MAX_AMOUNT = 1_000_000L;

    private final List<Entry> entries;

    /** Creates an empty ledger. */
    public Ledger(List<Entry> entries) {
        this.entries = entries; // BODY_MARKER
    }

    /** Adds an entry and returns the new balance. */
    public long add(Entry entry) {
        entries.add(entry); // BODY_MARKER
        return balance();
    }

    /** One line of the ledger. */
    public record Entry(String account, long amount) {}
}

/** Something that can be audited. */
interface Auditable {
    /** Checks the ledger. */
    boolean audit(Ledger ledger);
}

enum Currency { EUR, USD }
