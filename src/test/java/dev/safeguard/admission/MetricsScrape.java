package dev.safeguard.admission;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads one sample out of Prometheus text scraped from /q/metrics. */
final class MetricsScrape {

    private MetricsScrape() {
    }

    static String scrape() {
        return WebhookTestBase.management().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /**
     * The value of the first sample of {@code name} whose labels include every {@code label="value"} given,
     * or 0 when there is none yet.
     */
    static double value(String text, String name, String... labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(?:\\{([^}]*)\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE);
        Matcher matcher = line.matcher(text);
        while (matcher.find()) {
            String found = matcher.group(1) == null ? "" : matcher.group(1);
            boolean all = true;
            for (String label : labels) {
                all &= found.contains(label);
            }
            if (all) {
                return Double.parseDouble(matcher.group(2));
            }
        }
        return 0;
    }
}
