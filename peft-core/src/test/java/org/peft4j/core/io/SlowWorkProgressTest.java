package org.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.util.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The delayed progress bar of long wraps: silent for quick work, DJL's 0-based index once shown. */
class SlowWorkProgressTest {

    /** Records what a bar was told. */
    private static final class Recording implements Progress {
        final List<String> calls = new ArrayList<>();

        @Override
        public void reset(String message, long max, String trailingMessage) {
            calls.add("reset " + message + " " + max);
        }

        @Override
        public void start(long initialProgress) {
            calls.add("start " + initialProgress);
        }

        @Override
        public void end() {
            calls.add("end");
        }

        @Override
        public void increment(long increment) {
            calls.add("increment " + increment);
        }

        @Override
        public void update(long progress, String message) {
            calls.add("update " + progress + " " + message);
        }
    }

    /** Makes a fresh recording bar on each call and keeps it in {@code made}. */
    private static Supplier<Progress> recordingInto(List<Recording> made) {
        return () -> {
            Recording r = new Recording();
            made.add(r);
            return r;
        };
    }

    /** Reports items 1 to {@code n} as done, in order. */
    private static void finish(SlowWorkProgress p, int n) {
        for (int i = 1; i <= n; i++) {
            p.done(i);
        }
    }

    @Test
    void shownOnceThresholdPassedWithZeroBasedIndices() {
        List<Recording> made = new ArrayList<>();
        finish(new SlowWorkProgress("adapters", "layers", 3, 0, recordingInto(made)), 3);
        assertEquals(1, made.size());
        assertEquals(List.of("reset adapters 3", "update 0 1/3 layers", "update 1 2/3 layers", "update 2 3/3 layers"), made.get(0).calls);
    }

    @Test
    void quickOrDisabledWorkPrintsNothing() {
        List<Recording> made = new ArrayList<>();
        finish(new SlowWorkProgress("adapters", "layers", 3, 60_000, recordingInto(made)), 3);
        finish(new SlowWorkProgress("adapters", "layers", 3, -1, recordingInto(made)), 3);
        // work that finishes with its first report needs no bar, whatever the threshold
        finish(new SlowWorkProgress("adapters", "layers", 1, 0, recordingInto(made)), 1);
        assertEquals(0, made.size());
    }

    @Test
    void thresholdFromTheSystemProperty() {
        String old = System.getProperty(SlowWorkProgress.AFTER_MS_PROPERTY);
        try {
            System.clearProperty(SlowWorkProgress.AFTER_MS_PROPERTY);
            assertEquals(SlowWorkProgress.DEFAULT_AFTER_MS, SlowWorkProgress.configuredAfterMillis());
            System.setProperty(SlowWorkProgress.AFTER_MS_PROPERTY, " 250 ");
            assertEquals(250, SlowWorkProgress.configuredAfterMillis());
            System.setProperty(SlowWorkProgress.AFTER_MS_PROPERTY, "soon");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, SlowWorkProgress::configuredAfterMillis);
            assertTrue(e.getMessage().contains(SlowWorkProgress.AFTER_MS_PROPERTY) && e.getMessage().contains("'soon'"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(SlowWorkProgress.AFTER_MS_PROPERTY);
            } else {
                System.setProperty(SlowWorkProgress.AFTER_MS_PROPERTY, old);
            }
        }
    }
}
