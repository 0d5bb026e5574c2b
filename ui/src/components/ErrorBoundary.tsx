// Catches a render error anywhere below it and shows what happened instead of a blank page.
import { Component } from "react";
import type { ErrorInfo, ReactNode } from "react";

interface Props {
  children: ReactNode;
  /** Changing it clears the error (e.g. the route: navigating away recovers). */
  resetKey?: unknown;
}

interface State {
  error: Error | null;
  resetKey: unknown;
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { error: null, resetKey: props.resetKey };
    return null;
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("Logbook view failed", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error-banner" role="alert" data-testid="crash">
        <strong>This view failed to display.</strong>
        <div className="detail">{this.state.error.message}</div>
        <div style={{ marginTop: 8, display: "flex", gap: 8 }}>
          <button className="btn" type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <button className="btn" type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </div>
      </div>
    );
  }
}
