import { type ReactNode, useEffect, useRef } from "react";

/** A page's one `h1`: it sets the title and takes focus, so a navigation is announced and Tab starts here. */
export function PageHeading(props: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Lockbox`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <div className="page-heading">
      <h1 ref={heading} tabIndex={-1}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}
