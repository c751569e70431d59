import Testing
@testable import Recurrent

/// Sentences trained as the columns of one batch: masking is exact.
@Suite struct BatchTests {
    static let sentences = ["short", "a much longer sentence.", "mid size one", "x"]

    func model(_ generator: Generator) -> CharacterModel {
        var random = RandomSource(seed: 77)
        return CharacterModel(vocabulary: Vocabulary(sentences: Self.sentences), generator: generator,
                              hiddenSizes: [9, 6], letterSize: 4, random: &random)
    }

    @Test(arguments: Generator.allCases)
    func batchGradientsEqualTheSumOfPerSentenceGradients(generator: Generator) throws {
        let model = model(generator)
        let trainer = try CharacterTrainer(model: model, sentences: Self.sentences, random: RandomSource(seed: 1))
        let parameters = model.network.parameters
        var summed = parameters.map { [Float](repeating: 0, count: $0.matrix.count) }
        var separateCost = 0.0, separatePredictions = 0
        for sentence in trainer.sentences {
            for parameter in parameters { parameter.matrix.zeroGradients() }
            let (cost, predictions) = trainer.accumulateGradients([sentence])
            separateCost += cost
            separatePredictions += predictions
            for (index, parameter) in parameters.enumerated() {
                for element in 0..<parameter.matrix.count { summed[index][element] += parameter.matrix.gradients[element] }
            }
        }
        for parameter in parameters { parameter.matrix.zeroGradients() }
        let (batchCost, batchPredictions) = trainer.accumulateGradients(trainer.sentences)
        #expect(batchPredictions == separatePredictions)
        expectClose(batchCost, separateCost, relative: 1e-5, "cost")
        for (index, parameter) in parameters.enumerated() {
            expectClose(parameter.matrix.gradientArray, summed[index].map(Double.init), relative: 1e-4, absolute: 1e-6,
                        "\(generator) \(parameter.name)")
        }
    }

    @Test func batchCostEqualsEvaluatingSentencesOneByOne() throws {
        let model = model(.lstm)
        let trainer = try CharacterTrainer(model: model, sentences: Self.sentences, random: RandomSource(seed: 1))
        let (batchCost, _) = trainer.accumulateGradients(trainer.sentences)
        let evaluation = model.evaluate(sentences: Self.sentences)
        expectClose(batchCost, evaluation.totalCost, relative: 1e-5, "cost")
    }

    @Test func dropoutChangesTrainingButNotEvaluation() throws {
        let plain = model(.lstm), dropped = model(.lstm)
        let sentences = Self.sentences
        let before = plain.evaluate(sentences: sentences)
        let plainTrainer = try CharacterTrainer(model: plain, sentences: sentences, random: RandomSource(seed: 5))
        let droppedTrainer = try CharacterTrainer(model: dropped, sentences: sentences,
                                                  settings: TrainingSettings(dropout: 0.5), random: RandomSource(seed: 5))
        let (plainCost, _) = plainTrainer.accumulateGradients(plainTrainer.sentences)
        let (droppedCost, _) = droppedTrainer.accumulateGradients(droppedTrainer.sentences)
        #expect(plainCost != droppedCost)
        // Evaluation never applies dropout: the same weights give the same loss.
        #expect(dropped.evaluate(sentences: sentences) == before)
        #expect(plain.network.parameters[0].matrix.gradientArray != dropped.network.parameters[0].matrix.gradientArray)
    }
}

@Suite struct MemoryEstimateTests {
    /// The working-memory estimate covers what a tick really pools, and not by
    /// more than a small factor.
    @Test(arguments: Generator.allCases)
    func workingMemoryEstimateMatchesThePool(generator: Generator) throws {
        let sentences = ["a sentence of moderate length.", "short"]
        var random = RandomSource(seed: 1)
        let model = CharacterModel(vocabulary: Vocabulary(sentences: sentences), generator: generator,
                                   hiddenSizes: [24, 16], letterSize: 6, random: &random)
        let trainer = try CharacterTrainer(model: model, sentences: sentences, random: random)
        let graph = Graph()
        var states = model.network.zeroState(graph, batch: 2)
        var grid = SequenceGrid()
        grid.fill(sentences: trainer.sentences)
        _ = model.network.run(grid, on: graph, states: &states, random: &random)
        let estimate = MemoryEstimate(generator: generator, symbolCount: model.vocabulary.symbolCount, letterSize: 6,
                                      hiddenSizes: [24, 16], batchSize: 2, steps: grid.steps)
        #expect(estimate.workingBytes >= graph.pooledBytes, "\(estimate.workingBytes) < \(graph.pooledBytes)")
        #expect(estimate.workingBytes <= 2 * graph.pooledBytes, "\(estimate.workingBytes) vs \(graph.pooledBytes)")
        #expect(estimate.parameterBytes == model.network.parameterCount * 4 * 5)
        #expect(estimate.description.contains("MB"))
    }
}
