package dev.safeguard.e2e;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records the {@code Warning} response headers the API server sends: where admission warnings reach a
 * client (kubectl prints them as "Warning: ..."). Installed as a fabric8 HTTP interceptor.
 */
final class Warnings implements Interceptor {

    /** RFC 7234 warning-value as the API server writes it: 299 - "text" (with \" and \\ escaped). */
    private static final Pattern VALUE = Pattern.compile("^\\d{3} \\S+ \"((?:[^\"\\\\]|\\\\.)*)\"");

    private final List<String> received = new ArrayList<>();

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        List<String> headers = response.headers("Warning");
        if (headers == null) {
            return;
        }
        synchronized (received) {
            for (String header : headers) {
                // The API server writes the text as UTF-8 bytes; the HTTP client decodes header bytes as
                // ISO-8859-1 (HTTP's historical charset). Re-decode, so non-ASCII text from custom rules survives.
                String text = new String(header.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                Matcher matcher = VALUE.matcher(text);
                received.add(matcher.find() ? matcher.group(1).replaceAll("\\\\(.)", "$1") : text);
            }
        }
    }

    /** Forgets what was received so far: call before the request whose warnings a test looks at. */
    void clear() {
        synchronized (received) {
            received.clear();
        }
    }

    /** The warning texts received since the last {@link #clear()}. */
    List<String> texts() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Only kube-safeguard's warnings ("[rule-id] ..."). */
    List<String> safeguard() {
        return texts().stream().filter(w -> w.startsWith("[")).toList();
    }
}
