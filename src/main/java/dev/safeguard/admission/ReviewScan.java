package dev.safeguard.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;

/**
 * One streaming pass over a review body before anything is built from it: it finds the request's uid,
 * operation, kind, namespace and name (so that even a review that is never decided can be answered), and
 * checks the structural {@link InputLimits} with the path of the first offending value. It allocates no tree,
 * so an 8 MiB body of tiny values costs a scan, not hundreds of megabytes of nodes.
 *
 * <p>It does not judge whether the body is a valid AdmissionReview: {@link AdmissionReviewReader} does that,
 * with its own messages, for bodies that pass.
 */
final class ReviewScan {

    /**
     * What the scan found. Fields are null when absent (or not reached before a limit or a syntax error).
     *
     * @param exceeded  the first structural limit broken, or null
     * @param malformed the body is not well-formed JSON (the reader says why)
     */
    record Result(String uid, String operation, String kind, String namespace, String name, boolean dryRun,
            InputLimits.Exceeded exceeded, boolean malformed) {

        boolean operationEvaluated() {
            return "CREATE".equals(operation) || "UPDATE".equals(operation);
        }
    }

    private static final int MAX_SEGMENT = 64;

    private final InputLimits limits;
    private final JsonFactory factory;

    ReviewScan(InputLimits limits) {
        this.limits = limits;
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(limits.maxStringLength())
                        // our own depth check names the path; Jackson's is a backstop
                        .maxNestingDepth(limits.maxDepth() + 2)
                        .build())
                .build();
    }

    Result scan(byte[] body) {
        State state = new State();
        try (JsonParser parser = factory.createParser(body)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                String violation = state.accept(parser, token, limits);
                if (violation != null) {
                    return state.result(new InputLimits.Exceeded(state.limitName, violation), false);
                }
            }
            return state.result(null, false);
        } catch (StreamConstraintsException e) {
            String what = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("String")
                    ? "a string longer than " + String.format("%,d", limits.maxStringLength())
                            + " characters (safeguard.admission.limits.max-string-length)"
                    : "a value over the parser's limits (" + Messages.cap(e.getOriginalMessage(), 120) + ")";
            return state.result(new InputLimits.Exceeded(e.getOriginalMessage() != null
                    && e.getOriginalMessage().startsWith("String") ? "string-length" : "parser",
                    state.where() + " holds " + what), false);
        } catch (JsonProcessingException e) {
            return state.result(null, true);
        } catch (IOException e) {
            return state.result(null, true);
        }
    }

    /**
     * Only the request's own fields (uid, operation, kind, namespace, name), skipping object, oldObject and
     * the rest without looking inside: what answering a review that is never decided needs, cheaply (the API
     * server writes these fields before the objects). No limits are checked.
     */
    Result header(byte[] body) {
        String uid = null;
        String operation = null;
        String kind = null;
        String namespace = null;
        String name = null;
        boolean dryRun = false;
        try (JsonParser parser = factory.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return new Result(null, null, null, null, null, false, null, true);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (!"request".equals(field) || value != JsonToken.START_OBJECT) {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken token = parser.nextToken();
                    if ("dryRun".equals(key) && token == JsonToken.VALUE_TRUE) {
                        dryRun = true;
                    } else if (token == JsonToken.VALUE_STRING) {
                        switch (key) {
                            case "uid" -> uid = parser.getText();
                            case "operation" -> operation = parser.getText();
                            case "namespace" -> namespace = parser.getText();
                            case "name" -> name = parser.getText();
                            default -> { }
                        }
                    } else if ("kind".equals(key) && token == JsonToken.START_OBJECT) {
                        while (parser.nextToken() == JsonToken.FIELD_NAME) {
                            String kindField = parser.currentName();
                            JsonToken kindValue = parser.nextToken();
                            if ("kind".equals(kindField) && kindValue == JsonToken.VALUE_STRING) {
                                kind = parser.getText();
                            } else {
                                parser.skipChildren();
                            }
                        }
                    } else {
                        parser.skipChildren();
                    }
                }
                break;
            }
            return new Result(uid, operation, kind, namespace, name, dryRun, null, false);
        } catch (IOException e) {
            return new Result(uid, operation, kind, namespace, name, dryRun, null, true);
        }
    }

    /** The parser's position as a path, and what the scan has picked up on the way. */
    private static final class State {
        private String[] names = new String[32];
        private int[] items = new int[32];
        private boolean[] array = new boolean[32];
        private int depth;
        private long values;
        String limitName;
        private String uid;
        private String operation;
        private String requestKind;
        private String namespace;
        private String name;
        private boolean dryRun;

        private void grow() {
            int size = names.length * 2;
            names = java.util.Arrays.copyOf(names, size);
            items = java.util.Arrays.copyOf(items, size);
            array = java.util.Arrays.copyOf(array, size);
        }

        /** Returns the sentence naming the broken limit, or null. */
        String accept(JsonParser parser, JsonToken token, InputLimits limits) throws IOException {
            if (token == JsonToken.FIELD_NAME) {
                names[depth] = parser.currentName();
                return null;
            }
            if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                depth--;
                return null;
            }
            // a value: count it, and as an item of the array it sits in
            if (++values > limits.maxValues()) {
                limitName = "values";
                return "the review holds more than " + String.format("%,d", limits.maxValues())
                        + " JSON values (safeguard.admission.limits.max-values)";
            }
            if (depth > 0 && array[depth]) {
                if (++items[depth] > limits.maxListItems()) {
                    limitName = "list-items";
                    return pathOf(depth - 1) + " has more than " + String.format("%,d", limits.maxListItems())
                            + " items (safeguard.admission.limits.max-list-items)";
                }
            }
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                if (depth + 1 > limits.maxDepth()) {
                    limitName = "depth";
                    return pathOf(depth) + " nests deeper than " + limits.maxDepth()
                            + " levels (safeguard.admission.limits.max-depth)";
                }
                depth++;
                if (depth == names.length) {
                    grow();
                }
                array[depth] = token == JsonToken.START_ARRAY;
                items[depth] = 0;
                names[depth] = null;
                return null;
            }
            if (token == JsonToken.VALUE_STRING) {
                parser.getTextLength(); // decodes the string now, so the length constraint applies to every string
                remember(parser);
            } else if (token == JsonToken.VALUE_TRUE && depth == 2 && "request".equals(names[1])
                    && "dryRun".equals(names[2])) {
                dryRun = true;
            }
            return null;
        }

        /** request.uid, request.operation, request.kind.kind, request.namespace, request.name. */
        private void remember(JsonParser parser) throws IOException {
            if (depth == 2 && "request".equals(names[1])) {
                switch (names[2] == null ? "" : names[2]) {
                    case "uid" -> uid = parser.getText();
                    case "operation" -> operation = parser.getText();
                    case "namespace" -> namespace = parser.getText();
                    case "name" -> name = parser.getText();
                    default -> { }
                }
            } else if (depth == 3 && "request".equals(names[1]) && "kind".equals(names[2]) && "kind".equals(names[3])) {
                requestKind = parser.getText();
            }
        }

        /** The path of the value the parser is at: "object.spec.template.spec.containers[3].image". */
        String where() {
            return pathOf(depth);
        }

        /**
         * The path through the open containers 1..{@code upTo}: for each, the field name or the item index
         * under which the next level sits. The top-level "request" is left out.
         */
        private String pathOf(int upTo) {
            StringBuilder path = new StringBuilder();
            int start = upTo >= 1 && !array[1] && "request".equals(names[1]) ? 2 : 1;
            for (int level = start; level <= upTo; level++) {
                if (array[level]) {
                    path.append('[').append(Math.max(0, items[level] - 1)).append(']');
                } else if (names[level] != null) {
                    if (path.length() > 0) {
                        path.append('.');
                    }
                    path.append(Messages.cap(names[level], MAX_SEGMENT));
                }
            }
            return path.length() == 0 ? "the review" : path.toString();
        }

        Result result(InputLimits.Exceeded exceeded, boolean malformed) {
            return new Result(uid, operation, requestKind, namespace, name, dryRun, exceeded, malformed);
        }
    }
}
