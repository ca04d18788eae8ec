package dev.safeguard.rules;

import java.util.Map;

/**
 * One entry of a policy's {@code spec.namespaces}: the namespaces its selector picks (by their labels) are judged with
 * its mode and its rules (the policy's rules with the entry's overrides on top) instead of the policy's.
 *
 * @param name     shown in logs and metrics: the entry's name, else {@code namespaces[i]}
 * @param selector a metav1.LabelSelector over the namespace's labels
 */
public record NamespacePolicy(String name, LabelSelector selector, Mode mode, RuleSet rules) {

    public boolean selects(Map<String, ?> namespaceLabels) {
        return selector.matches(namespaceLabels);
    }
}
