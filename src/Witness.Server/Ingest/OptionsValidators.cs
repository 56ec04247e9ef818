using Microsoft.Extensions.Options;
using Witness.Ingest;

namespace Witness.Server.Ingest;

/// <summary>Checks every ranged option of <see cref="WitnessServerOptions"/> (and the rate limits inside it); generated from the <c>[Range]</c> attributes.</summary>
[OptionsValidator]
internal sealed partial class WitnessServerOptionsValidator : IValidateOptions<WitnessServerOptions>;

/// <summary>Checks <see cref="IngestOptions"/>' ranges; registered with <c>ValidateOnStart</c>.</summary>
[OptionsValidator]
internal sealed partial class IngestOptionsValidator : IValidateOptions<IngestOptions>;
