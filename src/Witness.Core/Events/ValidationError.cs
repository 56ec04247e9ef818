namespace Witness.Events;

/// <summary>One problem with submitted input: the JSON path of the field (e.g. <c>events[3].actor.email</c>) and what is wrong.</summary>
public sealed record ValidationError(string Field, string Message);

/// <summary>Thrown when input is rejected; carries every problem found, each naming its field.</summary>
public sealed class EventValidationException(IReadOnlyList<ValidationError> errors)
    : Exception(errors.Count == 0 ? "invalid input" : $"{errors[0].Field}: {errors[0].Message}")
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;
}
