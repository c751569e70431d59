import Testing
@testable import Recurrent

@Suite struct GradientCheckTests {
    @Test(arguments: Generator.allCases)
    func everyParameterOfEachGeneratorPasses(generator: Generator) {
        let results = GradientCheck.checkModel(generator: generator)
        #expect(results.count == RecurrentNetwork(generator: generator, symbolCount: 3, letterSize: 2, hiddenSizes: [2, 2]).parameters.count)
        for result in results {
            #expect(result.worstRelativeError < GradientCheck.defaultBound,
                    "\(generator) \(result.name): \(result.worstRelativeError)")
            print(generator, result.name, result.worstRelativeError, result.skipped)
        }
    }
}
