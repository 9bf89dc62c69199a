package org.peft4j.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps documentation code honest: a test marks the code it runs with a {@code // guide: NAME} line
 * before it and a {@code // end guide} line after it, and {@link #assertPagesShow} checks that each
 * marked block appears verbatim (its common indentation removed) in one of the given pages.
 */
public final class GuideSnippets {

    private GuideSnippets() {}

    /**
     * Asserts that every marked block of {@code testSource} appears verbatim in one of {@code pages}.
     *
     * @param testSource the test's own source file (relative to the module folder when run by Maven)
     * @param expectedBlocks how many marked blocks the source holds, so a lost marker fails
     * @param pages the Markdown pages the code must appear in
     * @throws IOException if a file cannot be read
     */
    public static void assertPagesShow(Path testSource, int expectedBlocks, Path... pages) throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path page : pages) {
            all.append(Files.readString(page, StandardCharsets.UTF_8)).append('\n');
        }
        String text = all.toString();
        List<String> source = Files.readAllLines(testSource, StandardCharsets.UTF_8);
        int blocks = 0;
        for (int i = 0; i < source.size(); i++) {
            String line = source.get(i).strip();
            if (!line.startsWith("// guide: ")) {
                continue;
            }
            String name = line.substring("// guide: ".length());
            List<String> body = new ArrayList<>();
            int j = i + 1;
            while (j < source.size() && !source.get(j).strip().equals("// end guide")) {
                body.add(source.get(j));
                j++;
            }
            assertTrue(j < source.size(), "block '" + name + "' in " + testSource + " has no '// end guide' line");
            int indent = body.stream().filter(s -> !s.isBlank()).mapToInt(s -> s.length() - s.stripLeading().length()).min().orElse(0);
            StringBuilder block = new StringBuilder();
            for (String s : body) {
                block.append(s.isBlank() ? "" : s.substring(indent)).append('\n');
            }
            assertTrue(text.contains(block), List.of(pages) + " lack the '" + name + "' code exactly as " + testSource + " runs it:\n" + block);
            blocks++;
            i = j;
        }
        assertEquals(expectedBlocks, blocks, "guide blocks found in " + testSource);
    }
}
