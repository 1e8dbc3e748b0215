/// PyTorch's `clip_grad_norm_`: the L2 norm of every gradient together; when above `maxNorm`, all
/// gradients are scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping.
@discardableResult
public func clipGradients(_ params: ParameterStore, maxNorm: Double?) -> Double {
    let norm = params.gradNorm()
    if let maxNorm, maxNorm > 0 {
        let coef = maxNorm / (norm + 1e-6)
        if coef < 1 { params.scaleGrads(Float(coef)) }
    }
    return norm
}
