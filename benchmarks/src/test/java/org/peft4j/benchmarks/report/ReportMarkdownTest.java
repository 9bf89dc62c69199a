package org.peft4j.benchmarks.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** The overhead lines compare medians against the base row: (x / base - 1) in percent. */
class ReportMarkdownTest {

    private static RowResult row(String id, double medianMs) {
        SideResult s = new SideResult("peft4j", 2, List.of(medianMs), medianMs, medianMs, medianMs, 1, 1, 1, 1, 1, 0, 1, medianMs, 0);
        return new RowResult(id, id, "INFERENCE", 32, 128, 1, 1, s, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 1, 1, List.of(1.0));
    }

    @Test
    void overheadsAreRelativeToTheBaseRow() {
        RunReport r = new RunReport("e2e", "t", "m", "j", "e", null, 2, 1, "1", "1", 1, 1, 1,
                List.of(row("inference-base", 200), row("inference-lora-unmerged", 220), row("inference-lora-merged", 201)));
        String md = ReportMarkdown.overheads(r);
        assertTrue(md.contains("inference-lora-unmerged vs base (peft4j): +10.0%"), md);
        assertTrue(md.contains("inference-lora-merged vs base (peft4j): +0.5%"), md);
    }

    @Test
    void tableHasOneLinePerRow() {
        RunReport r = new RunReport("e2e", "t", "m", "j", "e", null, 2, 1, "1", "1", 1, 1, 1,
                List.of(row("inference-base", 200), row("train-full", 900)));
        String md = ReportMarkdown.render(r, null);
        assertTrue(md.contains("| inference-base | 200.0 |") && md.contains("| train-full | 900.0 |"), md);
    }
}
