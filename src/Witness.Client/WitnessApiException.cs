using System.Net;

namespace Witness.Client;

/// <summary>
/// Witness answered with an error: the RFC 9457 problem+json fields it sent, and the status code. A
/// <see cref="StatusCode"/> of 400, 409, 413 or 422 means the request itself is wrong and resending it will
/// not help (<see cref="IsRejection"/>); other codes may pass on a later try.
/// </summary>
public sealed class WitnessApiException : Exception
{
    internal WitnessApiException(HttpStatusCode statusCode, string? type, string? title, string? detail, string? instance, IReadOnlyList<FieldProblem> errors)
        : base(Describe(statusCode, title, detail))
    {
        StatusCode = statusCode;
        ProblemType = type;
        Title = title;
        Detail = detail;
        Instance = instance;
        Errors = errors;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's <c>type</c> URI.</summary>
    public string? ProblemType { get; }

    public string? Title { get; }

    public string? Detail { get; }

    public string? Instance { get; }

    /// <summary>Each bad field (<c>events[3].action</c>) and what is wrong with it; empty when none were named.</summary>
    public IReadOnlyList<FieldProblem> Errors { get; }

    /// <summary>True when the server refused the request as such: sending it again will be refused again.</summary>
    public bool IsRejection => StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity;

    private static string Describe(HttpStatusCode status, string? title, string? detail) =>
        $"Witness answered {(int)status} {title ?? status.ToString()}{(detail is null ? "" : $": {detail}")}";
}

/// <summary>One bad field of a rejected request.</summary>
public sealed record FieldProblem(string Field, string Message);

/// <summary>A proof or checkpoint did not verify: the server's answer is not to be trusted.</summary>
public sealed class WitnessVerificationException(string message) : Exception(message);
