package org.peft4j.core.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verdict on a campaign shared by the fuzz tests. */
public final class FuzzAssertions {

    private FuzzAssertions() {
    }

    /**
     * Asserts that every input was accepted-and-verified or rejected with an IOException, and that both outcomes
     * occurred (otherwise the generator is not reaching one of the reader's paths).
     *
     * @param tally the campaign's counts
     */
    public static void assertClean(FuzzTally tally) {
        assertEquals(0, tally.failures(), () -> tally + "\n  " + String.join("\n  ", tally.failureLabels()));
        assertTrue(tally.accepted() > 0, () -> "no input was accepted: " + tally);
        assertTrue(tally.rejected() > 0, () -> "no input was rejected: " + tally);
    }
}
