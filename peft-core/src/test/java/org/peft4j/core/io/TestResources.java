package org.peft4j.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates files under src/test/resources (copies of /shared fixtures, see io/NOTE.md). */
final class TestResources {

    private TestResources() {
    }

    static Path path(String resource) {
        URL url = TestResources.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("test resource missing: " + resource);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String resource) {
        try {
            return Files.readAllBytes(path(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
