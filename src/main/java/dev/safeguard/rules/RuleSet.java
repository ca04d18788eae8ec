package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules one policy version runs, each with its effective action and params. Immutable: a policy
 * change builds a new RuleSet, so a request in flight keeps the one it started with.
 */
public final class RuleSet {

    /** A compiled rule with what this policy makes of it. */
    public record Entry(CompiledRule rule, Action action, Map<String, Object> params) {
        public String id() {
            return rule.id();
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byId;

    private RuleSet(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        Map<String, Entry> index = new LinkedHashMap<>();
        for (Entry entry : this.entries) {
            index.put(entry.id(), entry);
        }
        this.byId = index;
    }

    /** Every rule with its own default action and params. */
    @SuppressWarnings("unchecked")
    public static RuleSet withDefaults(List<CompiledRule> rules) {
        List<Entry> entries = new ArrayList<>(rules.size());
        for (CompiledRule rule : rules) {
            entries.add(new Entry(rule, rule.definition().action(),
                    (Map<String, Object>) ObjectTree.ofValue(rule.defaultParams())));
        }
        return new RuleSet(entries);
    }

    /**
     * A copy with one rule's action and/or params overridden; params are merged key by key over the
     * rule's current params. A null action or params leaves that part as it was.
     */
    @SuppressWarnings("unchecked")
    public RuleSet withOverride(String id, Action action, Map<String, Object> params) {
        Entry current = byId.get(id);
        if (current == null) {
            throw new IllegalArgumentException("no rule with id '" + id + "'");
        }
        Map<String, Object> merged = current.params();
        if (params != null && !params.isEmpty()) {
            Map<String, Object> copy = new LinkedHashMap<>(current.params());
            copy.putAll(params);
            merged = (Map<String, Object>) ObjectTree.ofValue(copy);
        }
        Entry replaced = new Entry(current.rule(), action == null ? current.action() : action, merged);
        List<Entry> copy = new ArrayList<>(entries);
        copy.set(copy.indexOf(current), replaced);
        return new RuleSet(copy);
    }

    /** A copy with further rules added, each with its own default action and params. */
    public RuleSet plus(List<CompiledRule> rules) {
        List<Entry> combined = new ArrayList<>(entries);
        combined.addAll(withDefaults(rules).entries);
        return new RuleSet(combined);
    }

    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public boolean contains(String id) {
        return byId.containsKey(id);
    }
}
