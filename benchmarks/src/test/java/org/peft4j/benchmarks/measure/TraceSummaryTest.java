package org.peft4j.benchmarks.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Self time from nested complete events: a parent's self time excludes its direct children. */
class TraceSummaryTest {

    @Test
    void selfTimeSubtractsDirectChildren(@TempDir Path dir) throws Exception {
        // thread 1: linear [0, 100) contains mm [10, 70) which contains copy_ [20, 30); add_ [70, 90)
        // thread 2: mm [0, 50) alone
        String trace = """
                {"traceEvents": [
                  {"ph": "X", "name": "aten::linear", "ts": 0, "dur": 100, "tid": 1},
                  {"ph": "X", "name": "aten::mm", "ts": 10, "dur": 60, "tid": 1},
                  {"ph": "X", "name": "aten::copy_", "ts": 20, "dur": 10, "tid": 1},
                  {"ph": "X", "name": "aten::add_", "ts": 70, "dur": 20, "tid": 1},
                  {"ph": "X", "name": "aten::mm", "ts": 0, "dur": 50, "tid": 2},
                  {"ph": "i", "name": "marker", "ts": 5, "tid": 1}
                ]}""";
        Path file = dir.resolve("trace.json");
        Files.writeString(file, trace);
        List<TraceSummary.Entry> entries = TraceSummary.read(file);
        Map<String, TraceSummary.Entry> byName = entries.stream().collect(Collectors.toMap(TraceSummary.Entry::name, e -> e));
        assertEquals(100 - 60 - 20, byName.get("aten::linear").selfMicros());
        assertEquals((60 - 10) + 50, byName.get("aten::mm").selfMicros());
        assertEquals(2, byName.get("aten::mm").calls());
        assertEquals(10, byName.get("aten::copy_").selfMicros());
        assertEquals(20, byName.get("aten::add_").selfMicros());
        assertEquals("aten::mm", entries.get(0).name());
    }
}
