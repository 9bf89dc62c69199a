package org.peft4j.benchmarks.measure;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Self time per operator from a Chrome trace ({@code traceEvents} with complete events {@code
 * ph="X"}, {@code ts} and {@code dur} in microseconds), as libtorch's profiler writes it. Events on
 * one thread nest by time; an event's self time is its duration minus its direct children's.
 */
public final class TraceSummary {

    /**
     * One operator's totals.
     *
     * @param name the operator
     * @param calls how often it ran
     * @param selfMicros summed self time
     * @param totalMicros summed inclusive time
     */
    public record Entry(String name, long calls, double selfMicros, double totalMicros) {}

    private TraceSummary() {}

    /**
     * Reads a trace and sums self time per name.
     *
     * @param trace the Chrome trace JSON file
     * @return entries, largest self time first
     * @throws IOException if the file cannot be read
     */
    public static List<Entry> read(Path trace) throws IOException {
        JsonArray events;
        try (Reader r = Files.newBufferedReader(trace)) {
            JsonElement root = JsonParser.parseReader(r);
            events = root.isJsonArray() ? root.getAsJsonArray() : root.getAsJsonObject().getAsJsonArray("traceEvents");
        }
        Map<String, List<double[]>> byThread = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (JsonElement e : events) {
            JsonObject o = e.getAsJsonObject();
            if (!o.has("ph") || !"X".equals(o.get("ph").getAsString()) || !o.has("dur")) {
                continue;
            }
            names.add(o.get("name").getAsString());
            String tid = o.has("tid") ? o.get("tid").getAsString() : "0";
            byThread.computeIfAbsent(tid, k -> new ArrayList<>())
                    .add(new double[] {o.get("ts").getAsDouble(), o.get("dur").getAsDouble(), names.size() - 1});
        }
        Map<String, double[]> totals = new LinkedHashMap<>();
        for (List<double[]> list : byThread.values()) {
            list.sort(Comparator.<double[]>comparingDouble(a -> a[0]).thenComparingDouble(a -> -a[1]));
            Deque<double[]> stack = new ArrayDeque<>(); // {start, end, nameIndex, childTime}
            for (double[] ev : list) {
                double start = ev[0];
                double end = ev[0] + ev[1];
                while (!stack.isEmpty() && stack.peek()[1] <= start) {
                    close(stack.pop(), names, totals);
                }
                if (!stack.isEmpty()) {
                    stack.peek()[3] += ev[1];
                }
                stack.push(new double[] {start, end, ev[2], 0});
            }
            while (!stack.isEmpty()) {
                close(stack.pop(), names, totals);
            }
        }
        List<Entry> out = new ArrayList<>();
        totals.forEach((k, v) -> out.add(new Entry(k, (long) v[0], v[1], v[2])));
        out.sort(Comparator.comparingDouble(Entry::selfMicros).reversed());
        return out;
    }

    private static void close(double[] frame, List<String> names, Map<String, double[]> totals) {
        double dur = frame[1] - frame[0];
        double[] t = totals.computeIfAbsent(names.get((int) frame[2]), k -> new double[3]);
        t[0] += 1;
        t[1] += Math.max(0, dur - frame[3]);
        t[2] += dur;
    }

    /**
     * Formats the largest entries as a Markdown table.
     *
     * @param entries the entries
     * @param top how many
     * @param steps the number of profiled steps (times are shown per step)
     * @return the table
     */
    public static String table(List<Entry> entries, int top, int steps) {
        double all = entries.stream().mapToDouble(Entry::selfMicros).sum();
        StringBuilder s = new StringBuilder("| operator | calls/step | self ms/step | share |\n|---|---:|---:|---:|\n");
        for (Entry e : entries.subList(0, Math.min(top, entries.size()))) {
            s.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f | %.1f%% |%n", e.name(), (double) e.calls() / steps,
                    e.selfMicros() / 1e3 / steps, 100 * e.selfMicros() / all));
        }
        s.append(String.format(Locale.ROOT, "| (all operators) | | %.1f | 100%% |%n", all / 1e3 / steps));
        return s.toString();
    }
}
