package org.peft4j.core.io;

import ai.djl.training.util.ProgressBar;
import ai.djl.util.Progress;
import java.util.function.Supplier;

/**
 * A progress bar for work over a known number of items that appears only once the work has run longer
 * than a threshold: quick calls (a LoRA wrap or the load of a small model) print nothing, slow ones (PiSSA,
 * LoRA-XS or LoLDU decompositions of a large model's layers, loading a large checkpoint) show how far they are.
 *
 * <p>The threshold is {@value #DEFAULT_AFTER_MS} ms, or the system property {@value #AFTER_MS_PROPERTY} (a
 * negative value never shows a bar). DJL's own switch, {@code DJL_DISABLE_PROGRESS_BAR=true}, silences
 * the bar too.
 */
public final class SlowWorkProgress {

    /** System property: milliseconds of work after which the bar appears. */
    public static final String AFTER_MS_PROPERTY = "peft4j.progressAfterMs";

    /** The default threshold in milliseconds. */
    public static final long DEFAULT_AFTER_MS = 2000;

    private final String title;
    private final String unit;
    private final int total;
    private final long showAfterNanos;
    private final Supplier<? extends Progress> bars;
    private final long started = System.nanoTime();
    private Progress bar;

    /**
     * A bar on the console (DJL's {@link ProgressBar}) after the configured delay.
     *
     * @param title the bar's title (DJL shortens titles over 12 characters)
     * @param unit what the items are, shown after the count ({@code "layers"})
     * @param total how many items the work has
     * @return the reporter; call {@link #done(int)} after each item
     */
    public static SlowWorkProgress console(String title, String unit, int total) {
        return new SlowWorkProgress(title, unit, total, configuredAfterMillis(), ProgressBar::new);
    }

    /**
     * A reporter with its own threshold and its own bars (a test can pass one that records).
     *
     * @param title the bar's title
     * @param unit what the items are, shown after the count
     * @param total how many items the work has
     * @param showAfterMillis after how many milliseconds the bar may appear; negative: never
     * @param bars makes the bar when it is first needed
     */
    public SlowWorkProgress(String title, String unit, int total, long showAfterMillis, Supplier<? extends Progress> bars) {
        this.title = title;
        this.unit = unit;
        this.total = total;
        this.showAfterNanos = showAfterMillis < 0 ? -1 : showAfterMillis * 1_000_000L;
        this.bars = bars;
    }

    /**
     * Returns the threshold from {@value #AFTER_MS_PROPERTY}, or {@value #DEFAULT_AFTER_MS}.
     *
     * @return milliseconds; negative means never
     * @throws IllegalArgumentException if the property is not a whole number
     */
    public static long configuredAfterMillis() {
        String v = System.getProperty(AFTER_MS_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_AFTER_MS;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + AFTER_MS_PROPERTY + " must be a whole number of milliseconds, got '" + v + "'", e);
        }
    }

    /**
     * Reports that {@code done} of the items are finished.
     *
     * @param done items finished so far, 1 to total
     */
    public void done(int done) {
        if (bar == null) {
            if (showAfterNanos < 0 || done >= total || System.nanoTime() - started < showAfterNanos) {
                return;
            }
            bar = bars.get();
            bar.reset(title, total);
        }
        // DJL's Progress takes the 0-based index of the last item done; a count keeps the text from shrinking
        bar.update(done - 1, done + "/" + total + " " + unit);
    }
}
