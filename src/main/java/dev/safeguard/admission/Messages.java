package dev.safeguard.admission;

import java.util.List;

/**
 * Caps for text that carries request data into a response or a log line. An object may hold a 7 MB image
 * name; the webhook never echoes such a field whole, and a list of findings ends with "... and N more"
 * instead of growing with the object.
 */
public final class Messages {

    /** One logged value (an object reference, an exemption reason, an error message). */
    public static final int MAX_LOG_VALUE = 512;
    /** One line of a denial message: "[rule-id] what is wrong and how to fix it". */
    public static final int MAX_DENIAL_LINE = 1_024;
    /** The whole status message of a denial. */
    public static final int MAX_STATUS_MESSAGE = 12_288;
    /** Rule ids listed on one log line. */
    public static final int MAX_LOGGED_IDS = 30;

    private Messages() {
    }

    /**
     * {@code text} with at most {@code max} characters: longer text is cut and ends with
     * "... (N more characters)" within the budget. ASCII only, since warnings travel as HTTP headers.
     */
    public static String cap(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        String tail = "... (" + (text.length() - max) + " more characters)";
        if (tail.length() >= max) {
            return text.substring(0, Math.max(0, max - 3)) + "...";
        }
        int cut = max - tail.length();
        // never split a surrogate pair
        if (cut > 0 && Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        tail = "... (" + (text.length() - cut) + " more characters)";
        return text.substring(0, Math.max(0, cut)) + tail;
    }

    /** "a, b, c ... and 12 more" for a list of ids or short values on one log line. */
    public static String join(List<String> values, int maxItems) {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i == maxItems) {
                joined.append(" ... and ").append(values.size() - maxItems).append(" more");
                break;
            }
            if (i > 0) {
                joined.append(", ");
            }
            joined.append(cap(values.get(i), 128));
        }
        return joined.toString();
    }
}
