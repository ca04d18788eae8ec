package dev.safeguard.rules;

import java.util.Map;

/**
 * The ownerReference an object marks {@code controller: true}: the object that claims to have created it.
 * Anyone who may create a Pod may write one, so it is a claim, not a fact, until {@link Ownership} and the
 * owner lookup confirm it.
 */
public record ControllerReference(String apiVersion, String kind, String name, String uid) {

    /** The controller reference of {@code object}, or null when it has none. */
    public static ControllerReference of(Map<String, Object> object) {
        for (Object element : ObjectTree.list(object, "metadata", "ownerReferences")) {
            if (element instanceof Map<?, ?> reference && Boolean.TRUE.equals(reference.get("controller"))) {
                return new ControllerReference(text(reference.get("apiVersion")), text(reference.get("kind")),
                        text(reference.get("name")), text(reference.get("uid")));
            }
        }
        return null;
    }

    private static String text(Object value) {
        return value instanceof String string ? string : null;
    }

    /** "DaemonSet node-exporter". */
    public String describe() {
        return kind + " " + name;
    }
}
