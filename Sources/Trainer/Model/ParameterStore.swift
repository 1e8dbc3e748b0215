import Basics

/// Every parameter of a model in one float buffer, its gradient in a second one of the same size, and
/// a table naming each tensor the way Hugging Face's state dict does (name, shape, offset). Layers keep
/// pointers into the buffers; nothing is allocated after construction.
public final class ParameterStore: @unchecked Sendable {
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        /// AdamW's weight decay applies (matrices and embeddings; not biases or LayerNorm).
        public var decay: Bool
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var tensors: [Tensor] = []
    public let count: Int
    public let values: UnsafeMutablePointer<Float>
    public let grads: UnsafeMutablePointer<Float>
    private var byName: [String: Int] = [:]

    /// Lays out the tensors in the order given (contiguous, in that order).
    init(_ layout: [(name: String, shape: [Int], decay: Bool)]) {
        var offset = 0
        for t in layout {
            byName[t.name] = tensors.count
            tensors.append(Tensor(name: t.name, shape: t.shape, offset: offset, decay: t.decay))
            offset += t.shape.reduce(1, *)
        }
        count = offset
        values = .allocate(capacity: max(offset, 1)); values.initialize(repeating: 0, count: max(offset, 1))
        grads = .allocate(capacity: max(offset, 1)); grads.initialize(repeating: 0, count: max(offset, 1))
    }

    deinit { values.deallocate(); grads.deallocate() }

    public func tensor(_ name: String) -> Tensor? { byName[name].map { tensors[$0] } }

    func offset(_ name: String) -> Int {
        guard let i = byName[name] else { preconditionFailure("no parameter \(name)") }
        return tensors[i].offset
    }
    func value(_ name: String) -> UnsafeMutablePointer<Float> { values + offset(name) }
    func grad(_ name: String) -> UnsafeMutablePointer<Float> { grads + offset(name) }

    public func zeroGrads() { grads.update(repeating: 0, count: count) }

    /// The L2 norm of all gradients (accumulated in double).
    public func gradNorm() -> Double {
        var s = 0.0
        for i in 0..<count { let g = Double(grads[i]); s += g * g }
        return s.squareRoot()
    }

    public func scaleGrads(_ f: Float) { for i in 0..<count { grads[i] *= f } }

    public func copyValues(from other: ParameterStore) {
        precondition(other.count == count && other.tensors == tensors, "parameter layouts differ")
        values.update(from: other.values, count: count)
    }
}
