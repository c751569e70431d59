/// The characters a beam search has chosen, as a tree: each node is one
/// character appended to its parent's text, so hypotheses that share a
/// prefix share its nodes. Extending a hypothesis adds one node instead of
/// copying its text, log-probabilities and tokens, which kept a search of
/// width W over L characters at W·L² work.
struct BeamTree {
    /// The empty text (the prime, if any): the parent of the first characters.
    static let root = -1

    private var parents: [Int] = []
    private var characters: [Unicode.Scalar] = []
    private var logprobs: [Double] = []
    /// Each node's token, when ``recordsTokens``.
    private var tokens: [GeneratedToken] = []
    /// Whether every node carries a token (log-probabilities were asked for).
    let recordsTokens: Bool

    init(capacity: Int, recordsTokens: Bool) {
        self.recordsTokens = recordsTokens
        parents.reserveCapacity(capacity)
        characters.reserveCapacity(capacity)
        logprobs.reserveCapacity(capacity)
    }

    /// Adds `character` after `parent`'s text; answers the new node.
    mutating func append(after parent: Int, _ character: Unicode.Scalar, logprob: Double, token: GeneratedToken?) -> Int {
        parents.append(parent)
        characters.append(character)
        logprobs.append(logprob)
        if recordsTokens {
            guard let token else { preconditionFailure("BeamTree: a node without its token") }
            tokens.append(token)
        }
        return parents.count - 1
    }

    /// The node `steps` characters above `node` (the root when it runs out).
    func ancestor(of node: Int, steps: Int) -> Int {
        var node = node
        for _ in 0..<steps where node != Self.root { node = parents[node] }
        return node
    }

    /// At most the last `count` characters of `node`'s text, in order, into `buffer`.
    func suffix(of node: Int, count: Int, into buffer: inout [Unicode.Scalar]) {
        buffer.removeAll(keepingCapacity: true)
        var node = node
        while node != Self.root && buffer.count < count {
            buffer.append(characters[node])
            node = parents[node]
        }
        buffer.reverse()
    }

    /// `node`'s text, its characters' log-probabilities and (when recorded) tokens, first to last.
    func path(to node: Int) -> (text: [Unicode.Scalar], logprobs: [Double], tokens: [GeneratedToken]?) {
        var nodes: [Int] = []
        var node = node
        while node != Self.root {
            nodes.append(node)
            node = parents[node]
        }
        nodes.reverse()
        return (nodes.map { characters[$0] }, nodes.map { logprobs[$0] }, recordsTokens ? nodes.map { tokens[$0] } : nil)
    }
}
